import { describe, expect, it } from 'vitest';
import { decodeMessage } from './codec.js';
import { encodeSampleBatchBinary, isSampleBatchBinary } from './sample-batch-binary.js';
import { TOPICS } from './topics.js';

const head = {
  tag: 'plant1/coldmill/pltcm/meas/mp05_thickness',
  source: 'file:MEAS_C1.csv',
  ingestTs: 1_736_809_000_500_000,
};
const ts = [1_736_809_000_000_000, 1_736_809_000_100_000, 1_736_809_000_200_000, 1_736_812_600_200_001];
const values = [0.1 + 0.2, -0, 1e-300, Number.MAX_VALUE];

describe('binary sample batch', () => {
  it('decodes through decodeMessage to the batch, every time and double exact', () => {
    const bytes = encodeSampleBatchBinary(head, ts, values, ts.length);
    expect(isSampleBatchBinary(bytes)).toBe(true);
    expect(decodeMessage(TOPICS.samples, bytes)).toEqual({
      ok: true,
      value: { ...head, ts, values: [0.1 + 0.2, 0, 1e-300, Number.MAX_VALUE] },
    });
  });

  it('is checked by the same schema: a bad tag, a NaN or too many samples are refused with the reason', () => {
    const reason = (bytes: Uint8Array) => {
      const decoded = decodeMessage(TOPICS.samples, bytes);
      return decoded.ok ? 'accepted' : decoded.reason;
    };
    expect(reason(encodeSampleBatchBinary({ ...head, tag: 'no tag' }, ts, values, 4))).toMatch(
      /^plant\.samples\.v1: tag/,
    );
    expect(reason(encodeSampleBatchBinary(head, ts, [1, Number.NaN, 2, 3], 4))).toMatch(/values/);
    const many = Array.from({ length: 10_001 }, (_, i) => ts[0]! + i);
    expect(reason(encodeSampleBatchBinary(head, many, many, many.length))).toMatch(/1 to 10000 samples/);
  });

  it('refuses bytes shorter or longer than the header says, and a header that is not JSON', () => {
    const bytes = encodeSampleBatchBinary(head, ts, values, ts.length);
    expect(decodeMessage(TOPICS.samples, bytes.subarray(0, bytes.length - 8))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/4 samples has 56 bytes of data/),
    });
    expect(decodeMessage(TOPICS.samples, bytes.subarray(0, 10))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/shorter than its header/),
    });
    const broken = Buffer.from(bytes);
    broken[8] = 0x7b + 1; // the header's opening brace
    expect(decodeMessage(TOPICS.samples, broken).ok).toBe(false);
  });
});
