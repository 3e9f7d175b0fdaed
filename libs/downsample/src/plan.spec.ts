import { describe, expect, it } from 'vitest';
import { pixelGrid, planM4, tierForInterval, type Tier } from './plan.js';

const S = 1_000_000;
const tiers: Tier[] = [
  { name: 'raw', resolutionUs: 0 },
  { name: '1s', resolutionUs: S },
  { name: '1m', resolutionUs: 60 * S },
  { name: '1h', resolutionUs: 3_600 * S },
];

describe('planM4', () => {
  it('reads raw below the finest bucket, else the finest rollup with at most 4 × width rows in the range', () => {
    const from = 1_774_000_000 * S;
    expect(planM4(from, from + 600 * S, 2_000, tiers).tier.name).toBe('raw'); // 0.3 s per pixel
    expect(planM4(from, from + 3_600 * S, 2_000, tiers).tier.name).toBe('1s'); // 3,600 rows ≤ 8,000
    expect(planM4(from, from + 86_400 * S, 1_500, tiers).tier.name).toBe('1m'); // 1s: 86,400 rows > 6,000
    expect(planM4(from, from + 7 * 86_400 * S, 1_000, tiers).tier.name).toBe('1h'); // 1m: 10,080 > 4,000
    expect(planM4(from, from + 365 * 86_400 * S, 2_000, tiers).tier.name).toBe('1h'); // the coarsest there is
  });

  it('never plans more columns than the width', () => {
    const from = 1_774_000_000 * S;
    for (const [range, width] of [
      [3_600, 2_000],
      [86_400, 1_500],
      [30 * 86_400, 2_000],
      [365 * 86_400, 2_000],
    ] as const) {
      expect(planM4(from, from + range * S, width, tiers).columns).toBeLessThanOrEqual(width);
    }
  });

  it('makes columns whole multiples of the tier, aligned to it, with at most width columns', () => {
    const from = 1_774_000_000 * S + 123_456;
    const to = from + 86_400 * S;
    const plan = planM4(from, to, 1_500, tiers);
    expect(plan.pixelUs % S).toBe(0);
    expect(plan.originUs % S).toBe(0);
    expect(plan.originUs).toBeLessThanOrEqual(from);
    expect(plan.originUs + plan.columns * plan.pixelUs).toBeGreaterThanOrEqual(to);
    expect(plan.columns).toBeLessThanOrEqual(1_500);
  });

  it('refuses a width below one', () => {
    expect(() => pixelGrid(0, 10, 0)).toThrow(/width/);
  });
});

describe('tierForInterval', () => {
  it('uses hourly rollups for Berlin days and minute rollups for a +05:30 zone', () => {
    const day = 86_400 * S;
    expect(tierForInterval(day, [3_600 * S, 7_200 * S], tiers).name).toBe('1h');
    expect(tierForInterval(day, [19_800 * S], tiers).name).toBe('1m');
    expect(tierForInterval(30 * S, [0], tiers).name).toBe('1s');
    expect(tierForInterval(1_500_000, [0], tiers).name).toBe('raw');
  });
});
