import { describe, expect, it } from 'vitest';
import { constantStride } from './series.sql.js';

describe('constantStride', () => {
  it.each([
    [18_000_000_000, "'5h'"],
    [1_296_000_000, "'1296s'"],
    [1_260_000_000, "'21m'"],
    [57_000_000, "'57s'"],
    [1_500, "'1500U'"],
    [2_000, "'2T'"],
  ])('writes %i µs as %s', (us, text) => {
    expect(constantStride(us)).toBe(text);
  });

  it('keeps the count within the 32-bit int QuestDB reads', () => {
    expect(constantStride(365 * 86_400_000_000)).toBe("'8760h'");
    expect(() => constantStride(2_147_483_648_001)).toThrow(RangeError);
  });

  it('refuses what is not a positive whole number of microseconds', () => {
    expect(() => constantStride(0)).toThrow(RangeError);
    expect(() => constantStride(1.5)).toThrow(RangeError);
  });
});
