import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { historianFrame } from './frame.js';
import { m4 } from './m4.js';

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
    const nulls = frame.times.filter((_, i) => frame.last[i] === null);
    expect(nulls).toHaveLength(1);
    expect(nulls[0]).toBeGreaterThan(30);
    expect(nulls[0]).toBeLessThan(70);
    expect(frame.min.filter((v) => v !== null)).toHaveLength(7 + 2);
  });

  it('never breaks when the tag has no expected period, and holds the last value to the end', () => {
    const frame = historianFrame(
      {
        column: [],
        times: [],
        firstTimes: [],
        lastTimes: [],
        min: [],
        max: [],
        first: [],
        last: [],
        sum: [],
        count: [],
      },
      {
        resolutionUs: 0,
        maxGapUs: undefined,
        before: { time: epochUs(-3 * 86_400 * S), value: 7 },
        holdUntil: epochUs(3_600 * S),
      },
    );
    expect(frame.times).toEqual([-3 * 86_400, 3_600]);
    expect(frame.last).toEqual([7, 7]);
  });

  it('does not hold a value across a silence longer than the expected period', () => {
    const frame = historianFrame(m4([0], [1], 0, 100 * S, 10), {
      resolutionUs: 0,
      maxGapUs: 5 * S,
      holdUntil: epochUs(100 * S),
    });
    expect(frame.times).toEqual([0]);
  });

  it('measures gaps from the end of a rollup bucket, so continuous data is never broken', () => {
    // 1 h buckets every hour: starts are 1 h apart, but the samples in them were continuous.
    const hour = 3_600 * S;
    const columns = {
      column: [0, 1, 2],
      times: [0, hour, 2 * hour].map(epochUs),
      firstTimes: [0, hour, 2 * hour].map(epochUs),
      lastTimes: [0, hour, 2 * hour].map(epochUs),
      min: [1, 2, 3],
      max: [1, 2, 3],
      first: [1, 2, 3],
      last: [1, 2, 3],
      sum: [3_600, 7_200, 10_800],
      count: [3_600, 3_600, 3_600],
    };
    const frame = historianFrame(columns, { resolutionUs: hour, maxGapUs: 2 * S });
    expect(frame.last).toEqual([1, 2, 3]);
    expect(frame.avg).toEqual([1, 2, 3]);
  });
});
