import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelayMs } from './backoff.js';

describe('backoff', () => {
  const options = { initialMs: 500, maxMs: 30_000 };

  it('doubles up to the max, with jitter in the upper half of each step', () => {
    expect([0, 1, 2, 3, 10].map((attempt) => backoffDelayMs(attempt, options, () => 1))).toEqual([
      500, 1000, 2000, 4000, 30_000,
    ]);
    expect([0, 1, 10].map((attempt) => backoffDelayMs(attempt, options, () => 0))).toEqual([
      250, 500, 15_000,
    ]);
    expect(backoffDelayMs(1_000, options, () => 1)).toBe(30_000);
  });

  it('climbs per attempt and starts over after a success', () => {
    const backoff = new Backoff(options, () => 1);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([500, 1000, 2000]);
    expect(backoff.attempts).toBe(3);
    backoff.reset();
    expect(backoff.next()).toBe(500);
  });
});
