import { describe, expect, it } from 'vitest';
import { decodeSeriesBinary, encodeSeriesBinary, encodeSeriesBinaryParts } from './series-binary.js';

const answer = {
  mode: 'm4',
  tier: 'samples_1m',
  from: { raw: 'now-1d', iso: '2026-11-21T00:00:00.000Z' },
  to: { raw: 'now', iso: '2026-11-22T00:00:00.000Z' },
  bucketMs: 60_000,
  rowsScanned: 1_440,
  series: [
    {
      tag: 'plant1/coldmill/pltcm/stand1/roll_force',
      times: [1_763_683_200, 1_763_683_260, 1_763_683_320],
      min: [0.1 + 0.2, null, -1e-300],
      max: [Number.MAX_VALUE, null, 5e-324],
      avg: [1 / 3, null, -2.5],
      last: [2.4990000000000001, null, 123_456_789.123_456_78],
      count: [60, 0, 17],
    },
    { tag: 'plant1/empty/tag/x', times: [], min: [], max: [], avg: [], last: [], count: [] },
  ],
};

describe('series binary answer', () => {
  it('decodes to exactly the JSON answer: every double bit for bit, null for a gap, empty series kept', () => {
    const bytes = encodeSeriesBinary(answer);
    const copy = bytes.slice().buffer; // as a fetch gives it: its own ArrayBuffer
    expect(decodeSeriesBinary(copy)).toEqual(JSON.parse(JSON.stringify(answer)));
  });

  it('takes float64 columns (NaN for a gap) and views them, in parts written one after the other', () => {
    const nanForNull = (column: readonly (number | null)[]) =>
      Float64Array.from(column, (value) => value ?? Number.NaN);
    const typed = {
      ...answer,
      series: answer.series.map((series) => ({
        tag: series.tag,
        times: Float64Array.from(series.times),
        min: nanForNull(series.min),
        max: nanForNull(series.max),
        avg: nanForNull(series.avg),
        last: nanForNull(series.last),
        count: Float64Array.from(series.count),
      })),
    };
    const parts = encodeSeriesBinaryParts(typed);
    expect(parts[1]!.buffer).toBe(typed.series[0]!.times.buffer);
    const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    parts.reduce((at, part) => (joined.set(part, at), at + part.length), 0);
    expect(joined).toEqual(encodeSeriesBinary(answer));
    expect(decodeSeriesBinary(joined.buffer)).toEqual(JSON.parse(JSON.stringify(answer)));
  });

  it('is float64 columns, not text: a 100-tag day is 8 bytes a number', () => {
    const times = Array.from({ length: 1_440 }, (_, index) => 1_763_683_200 + index * 60);
    const values = times.map((_, index) => Math.sin(index) * 1e3 + 1 / 7);
    const big = {
      series: Array.from({ length: 100 }, (_, index) => ({
        tag: `t/${index}/a/b`,
        times,
        min: values,
        max: values,
      })),
    };
    const bytes = encodeSeriesBinary(big);
    expect(bytes.length).toBeLessThan(100 * 3 * 1_440 * 8 + 8_000);
    expect(bytes.length).toBeLessThan(new TextEncoder().encode(JSON.stringify(big)).length / 2);
  });

  it('refuses bytes that are not a series answer, or shorter than the header says', () => {
    expect(() => decodeSeriesBinary(new TextEncoder().encode('{"series":[]}').buffer as ArrayBuffer)).toThrow(
      /not a series answer/,
    );
    const bytes = encodeSeriesBinary(answer);
    expect(() => decodeSeriesBinary(bytes.slice(0, bytes.length - 8).buffer)).toThrow(/shorter/);
  });
});
