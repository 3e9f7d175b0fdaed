import { tagPathProblem } from '@millrace/schema';
import { describe, expect, it } from 'vitest';
import { HighLoadProfile } from './high-load.js';

describe('HighLoadProfile', () => {
  const profile = new HighLoadProfile({ seed: 9, tagCount: 500, periodMs: 100 });

  it('has the requested tags on valid paths and rate', () => {
    expect(profile.tags).toHaveLength(500);
    expect(profile.tags[0]).toBe('plant1/bench/hl/ch0000/value');
    expect(profile.tags.every((tag) => tagPathProblem(tag) === undefined)).toBe(true);
    expect(profile.samplesPerSecond).toBe(5_000);
  });

  it('is deterministic and varies over time and across tags', () => {
    const again = new HighLoadProfile({ seed: 9, tagCount: 500, periodMs: 100 });
    expect(again.valuesAt(1_000_000)).toEqual(profile.valuesAt(1_000_000));
    expect(profile.valuesAt(1_000_100)).not.toEqual(profile.valuesAt(1_000_000));
    const values = profile.valuesAt(0);
    expect(new Set(values).size).toBe(500);
    expect(values.every(Number.isFinite)).toBe(true);
  });

  it('ticks on the period grid', () => {
    const ticks = [...profile.ticks(1_050, 2_000)];
    expect(ticks.map((tick) => tick.tsMs)).toEqual([
      1_100, 1_200, 1_300, 1_400, 1_500, 1_600, 1_700, 1_800, 1_900,
    ]);
  });

  it('refuses a nonsense configuration', () => {
    expect(() => new HighLoadProfile({ seed: 1, tagCount: 0, periodMs: 100 })).toThrow(RangeError);
  });
});
