import { describe, expect, it } from 'vitest';
import { parseDecimal } from './numbers.js';

describe('parseDecimal', () => {
  it('reads decimal commas and dots by the profile separator only', () => {
    expect(parseDecimal('1,5', ',')).toBe(1.5);
    expect(parseDecimal('-0,25', ',')).toBe(-0.25);
    expect(parseDecimal('1.5', '.')).toBe(1.5);
    expect(parseDecimal('1,5', '.')).toBeUndefined();
    expect(parseDecimal('1.5', ',')).toBeUndefined();
  });

  it('refuses empty, text, and several separators', () => {
    expect(parseDecimal('', ',')).toBeUndefined();
    expect(parseDecimal('abc', '.')).toBeUndefined();
    expect(parseDecimal('1,2,3', ',')).toBeUndefined();
    expect(parseDecimal('NaN', '.')).toBeUndefined();
    expect(parseDecimal(' 42 ', '.')).toBe(42);
    expect(parseDecimal('1e3', '.')).toBe(1000);
  });
});
