import { describe, expect, it } from 'vitest';
import { hashNormal, hashUniform, Prng, smoothNoise } from './random.js';

describe('Prng', () => {
  it('repeats its sequence for the same seed', () => {
    const a = new Prng(123);
    const b = new Prng(123);
    const seqA = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(seqA);
    expect(seqA.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(new Prng(124).next()).not.toBe(seqA[0]);
  });

  it('draws normals with the asked mean and spread', () => {
    const random = new Prng(5);
    const draws = Array.from({ length: 20_000 }, () => random.normal(10, 2));
    const mean = draws.reduce((sum, value) => sum + value, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((sum, value) => sum + (value - mean) ** 2, 0) / draws.length);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeCloseTo(2, 1);
  });

  it('picks by weight', () => {
    const random = new Prng(6);
    let heavy = 0;
    for (let index = 0; index < 10_000; index += 1) {
      if (
        random.weighted([
          ['a', 9],
          ['b', 1],
        ] as const) === 'a'
      )
        heavy += 1;
    }
    expect(heavy / 10_000).toBeCloseTo(0.9, 1);
  });
});

describe('stateless draws', () => {
  it('depend only on their key, including epoch milliseconds beyond 32 bits', () => {
    expect(hashUniform(1, 2, 1_751_356_800_000)).toBe(hashUniform(1, 2, 1_751_356_800_000));
    expect(hashUniform(1, 2, 1_751_356_800_000)).not.toBe(
      hashUniform(1, 2, 1_751_356_800_000 + 4_294_967_296),
    );
    expect(Number.isFinite(hashNormal(3, 4))).toBe(true);
  });

  it('smooth noise passes through its knots without steps', () => {
    expect(smoothNoise(1, 2, 10_000, 10_000)).toBeCloseTo(hashNormal(1, 2, 1), 10);
    expect(Math.abs(smoothNoise(1, 2, 10_001, 10_000) - smoothNoise(1, 2, 10_000, 10_000))).toBeLessThan(
      0.01,
    );
  });
});
