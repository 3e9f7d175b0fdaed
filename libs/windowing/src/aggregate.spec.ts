import { tagPath } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { mergeAggregates, type WindowAggregate } from './aggregate.js';

const tag = tagPath('plant1/coldmill/pltcm/stand3/roll_force');

/** Aggregate of `[ts, value]` pairs in the order given (the order they were seen). */
function aggregateOf(samples: readonly (readonly [number, number])[]): WindowAggregate {
  const byTime = [...samples].sort((a, b) => a[0] - b[0]); // stable: ties stay in seen order
  const first = byTime[0]!;
  const last = byTime[byTime.length - 1]!;
  const values = samples.map(([, value]) => value);
  return {
    tag,
    resolution: '1m',
    start: epochUs(60_000_000),
    min: Math.min(...values),
    max: Math.max(...values),
    first: first[1],
    last: last[1],
    sum: values.reduce((sum, value) => sum + value, 0),
    count: samples.length,
    firstTs: epochUs(first[0]),
    lastTs: epochUs(last[0]),
  };
}

describe('mergeAggregates', () => {
  it('equals the aggregate of all samples, for every split of them', () => {
    const samples = [
      [60_000_010, 4],
      [60_000_005, -2],
      [60_000_030, 9],
      [60_000_020, 1],
      [60_000_001, 7],
      [60_000_025, 3],
    ] as const;
    for (let split = 1; split < samples.length; split++) {
      const merged = mergeAggregates(aggregateOf(samples.slice(0, split)), aggregateOf(samples.slice(split)));
      expect(merged).toEqual(aggregateOf(samples));
    }
  });

  it('takes first from a and last from b on equal timestamps (a was seen first)', () => {
    const a = aggregateOf([[60_000_010, 1]]);
    const b = aggregateOf([[60_000_010, 2]]);
    const merged = mergeAggregates(a, b);
    expect(merged.first).toBe(1);
    expect(merged.last).toBe(2);
    expect(merged).toEqual(
      aggregateOf([
        [60_000_010, 1],
        [60_000_010, 2],
      ]),
    );
  });

  it('yields the other aggregate when one is empty', () => {
    const a = aggregateOf([[60_000_010, 1]]);
    const empty = { ...a, count: 0, sum: 0, min: Infinity, max: -Infinity };
    expect(mergeAggregates(a, empty)).toEqual(a);
    expect(mergeAggregates(empty, a)).toEqual(a);
  });

  it('refuses aggregates of different windows', () => {
    const a = aggregateOf([[60_000_010, 1]]);
    expect(() => mergeAggregates(a, { ...a, start: epochUs(120_000_000) })).toThrow(RangeError);
    expect(() => mergeAggregates(a, { ...a, resolution: '1h' })).toThrow(RangeError);
    expect(() =>
      mergeAggregates(a, { ...a, tag: tagPath('plant1/coldmill/pltcm/stand4/roll_force') }),
    ).toThrow(RangeError);
  });
});
