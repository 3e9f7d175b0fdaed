import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { historianFrame } from './frame.js';
import { emptyM4Columns, m4 } from './m4.js';

const S = 1_000_000;

describe('historianFrame', () => {
  it('adds the edge samples and breaks a line at a gap longer than allowed', () => {
    // Samples every second over [0, 100 s) with a 30 s hole from 40 s to 70 s.
    const times = Array.from({ length: 100 }, (_, i) => i * S).filter((t) => t < 40 * S || t >= 70 * S);
    const values = times.map((t) => t / S);
    const columns = m4(times, values, 0, 100 * S, 10);
    const frame = historianFrame(columns, {
      resolutionUs: 0,
      maxGapUs: 5 * S,
      before: { time: epochUs(-3 * S), value: -3 },
      after: { time: epochUs(101 * S), value: 101 },
    });
    expect(frame.times[0]).toBe(-3);
    expect(frame.times[frame.times.length - 1]).toBe(101);
    const breaks = frame.times.filter((_, i) => Number.isNaN(frame.last[i]));
    expect(breaks).toHaveLength(1);
    expect(breaks[0]).toBeGreaterThan(30);
    expect(breaks[0]).toBeLessThan(70);
    expect(frame.min.filter((v) => !Number.isNaN(v))).toHaveLength(7 + 2);
  });

  it('breaks between every pair of points when every silence is a gap', () => {
    // One sample every 10 s, 5 s allowed: each of the 50 columns is followed by a break.
    const times = Array.from({ length: 50 }, (_, i) => i * 10 * S);
    const frame = historianFrame(m4(times, times, 0, 500 * S, 50), {
      resolutionUs: 0,
      maxGapUs: 5 * S,
      before: { time: epochUs(-10 * S), value: -1 },
      after: { time: epochUs(500 * S), value: 500 },
    });
    expect(frame.times).toHaveLength(52 + 51);
    const isBreak = [...frame.last].map((value) => Number.isNaN(value));
    expect(isBreak).toEqual(Array.from({ length: 103 }, (_, i) => i % 2 === 1));
    expect([...frame.last].filter((_, i) => i % 2 === 0)).toEqual([-1, ...times, 500]);
  });

  it('never breaks when the tag has no expected period, and holds the last value to the end', () => {
    const frame = historianFrame(emptyM4Columns(), {
      resolutionUs: 0,
      maxGapUs: undefined,
      before: { time: epochUs(-3 * 86_400 * S), value: 7 },
      holdUntil: epochUs(3_600 * S),
    });
    expect([...frame.times]).toEqual([-3 * 86_400, 3_600]);
    expect([...frame.last]).toEqual([7, 7]);
  });

  it('does not hold a value across a silence longer than the expected period', () => {
    const frame = historianFrame(m4([0], [1], 0, 100 * S, 10), {
      resolutionUs: 0,
      maxGapUs: 5 * S,
      holdUntil: epochUs(100 * S),
    });
    expect([...frame.times]).toEqual([0]);
  });

  it('measures gaps from the end of a rollup bucket, so continuous data is never broken', () => {
    // 1 h buckets every hour: starts are 1 h apart, but the samples in them were continuous.
    const hour = 3_600 * S;
    const starts = [0, hour, 2 * hour];
    const values = [1, 2, 3];
    const columns = {
      column: Float64Array.of(0, 1, 2),
      times: Float64Array.from(starts),
      firstTimes: Float64Array.from(starts),
      lastTimes: Float64Array.from(starts),
      min: Float64Array.from(values),
      max: Float64Array.from(values),
      first: Float64Array.from(values),
      last: Float64Array.from(values),
      sum: Float64Array.of(3_600, 7_200, 10_800),
      count: Float64Array.of(3_600, 3_600, 3_600),
    };
    const frame = historianFrame(columns, { resolutionUs: hour, maxGapUs: 2 * S });
    expect([...frame.last]).toEqual([1, 2, 3]);
    expect([...frame.avg]).toEqual([1, 2, 3]);
  });
});
