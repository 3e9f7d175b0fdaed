import { describe, expect, it, vi } from 'vitest';
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

function decoded(bytes: Uint8Array) {
  return decodeMessage(TOPICS.samples, bytes);
}
function reason(bytes: Uint8Array): string {
  const result = decoded(bytes);
  return result.ok ? 'accepted' : result.reason;
}

/** A batch as the first version (`MSB1`) wrote it: float64 columns, no packing bytes. */
function versionOne(times: number[], numbers: number[]): Buffer {
  const meta = Buffer.from(JSON.stringify(head));
  const bytes = Buffer.alloc(12 + meta.length + 16 * times.length);
  bytes.write('MSB1', 0, 'latin1');
  bytes.writeUInt32LE(meta.length, 4);
  meta.copy(bytes, 8);
  bytes.writeUInt32LE(times.length, 8 + meta.length);
  let at = 12 + meta.length;
  times.forEach((time, index) => (at = bytes.writeDoubleLE(time - (times[index - 1] ?? 0), at)));
  numbers.forEach((value) => (at = bytes.writeDoubleLE(value, at)));
  return bytes;
}

describe('binary sample batch', () => {
  it('decodes through decodeMessage to the batch, every time and double exact', () => {
    const bytes = encodeSampleBatchBinary(head, ts, values, ts.length);
    expect(isSampleBatchBinary(bytes)).toBe(true);
    expect(decoded(bytes)).toEqual({
      ok: true,
      value: { ...head, ts, values: [0.1 + 0.2, 0, 1e-300, Number.MAX_VALUE] },
    });
  });

  it("packs a regular series of a file's decimals into a few bytes a sample, and gets every double back", () => {
    // A file's cells: a gauge's readings with 0 to 4 decimals, parsed as Number() parses them.
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const count = 10_000;
    const times = Array.from({ length: count }, (_, index) => 1_736_809_000_000_000 + index * 10_000);
    const readings = Array.from({ length: count }, () =>
      Number(((random() - 0.5) * 2_000).toFixed(Math.floor(random() * 5))),
    );
    const bytes = encodeSampleBatchBinary(head, times, readings, count);
    expect(bytes.length).toBeLessThan(5 * count);
    const result = decoded(bytes);
    expect(result.ok && result.value.ts).toEqual(times);
    expect(result.ok && result.value.values).toEqual(readings);
  });

  it('keeps times that are not integers, and times and values out of order or far apart, exact', () => {
    const times = [1_736_809_000_000_000.5, 2, 4_000_000_000_000_000, 0];
    expect(decoded(encodeSampleBatchBinary(head, times, [1, 2, 3, 4], 4))).toMatchObject({
      ok: false, // the schema wants integer µs: the packing carried the half through to be refused
      reason: expect.stringMatching(/^plant\.samples\.v1: ts/),
    });
    const jumps = [4_000_000_000_000_000, 0, 4_000_000_000_000_000, 1];
    const wide = [1e15, -1e15, 123.456, -0.000_001];
    const result = decoded(encodeSampleBatchBinary(head, jumps, wide, 4));
    expect(result.ok && [result.value.ts, result.value.values]).toEqual([jumps, wide]);
  });

  it('still decodes batches of the first version (MSB1)', () => {
    expect(decoded(versionOne(ts, values))).toEqual({
      ok: true,
      value: { ...head, ts, values: [0.1 + 0.2, -0, 1e-300, Number.MAX_VALUE] },
    });
  });

  it('is checked by the same schema: a bad tag, a NaN or too many samples are refused with the reason', () => {
    expect(reason(encodeSampleBatchBinary({ ...head, tag: 'no tag' }, ts, values, 4))).toMatch(
      /^plant\.samples\.v1: tag/,
    );
    expect(reason(encodeSampleBatchBinary(head, ts, [1, Number.NaN, 2, 3], 4))).toMatch(/values/);
    const many = Array.from({ length: 10_001 }, (_, i) => ts[0]! + i);
    expect(reason(encodeSampleBatchBinary(head, many, many, many.length))).toMatch(/1 to 10000 samples/);
  });

  it('refuses bytes shorter or longer than the header says, an unknown packing, and a header that is not JSON', () => {
    for (const bytes of [encodeSampleBatchBinary(head, ts, values, 4), versionOne(ts, values)]) {
      expect(reason(bytes.subarray(0, bytes.length - 1))).toMatch(/4 samples ends inside its data/);
      expect(reason(Buffer.concat([bytes, Buffer.from([0])]))).toMatch(
        /4 samples has 1 bytes after its data/,
      );
      expect(reason(bytes.subarray(0, 10))).toMatch(/shorter than its header/);
      const broken = Buffer.from(bytes);
      broken[8] = 0x7b + 1; // the header's opening brace
      expect(decoded(broken).ok).toBe(false);
    }
    const packed = Buffer.from(encodeSampleBatchBinary(head, [1, 2], [1, 2], 2));
    const packingAt = 8 + JSON.stringify(head).length + 4;
    packed[packingAt] = 9;
    expect(reason(packed)).toMatch(/unknown time packing 9/);
  });

  it('loads where there is no Buffer: the web app imports the schemas', async () => {
    vi.resetModules();
    const { Buffer: saved } = globalThis;
    Reflect.deleteProperty(globalThis, 'Buffer');
    try {
      await expect(import('./index.js')).resolves.toHaveProperty('decodeMessage');
    } finally {
      globalThis.Buffer = saved;
    }
  });
});
