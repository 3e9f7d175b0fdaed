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

describe('parseDecimal fast path', () => {
  it('gives exactly the double Number() gives, for many plain decimals', () => {
    for (let i = 0; i < 20_000; i += 1) {
      const text = (Math.sin(i) * 10 ** (i % 9)).toFixed(i % 7);
      expect(parseDecimal(text, '.')).toBe(Number(text));
      expect(parseDecimal(text.replace('.', ','), ',')).toBe(Number(text));
    }
    expect(parseDecimal('123456789012345,6', ',')).toBe(123456789012345.6);
    expect(parseDecimal('-0,0', ',')).toBe(-0);
    expect(parseDecimal('+,5', ',')).toBe(0.5);
    expect(parseDecimal('7,', ',')).toBe(7);
    expect(parseDecimal('-', ',')).toBeUndefined();
    expect(parseDecimal(',', ',')).toBeUndefined();
  });
});
