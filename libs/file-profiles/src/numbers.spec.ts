import { describe, expect, it } from 'vitest';
import { textCells } from './csv.js';
import { parseDecimal, parseDecimalCell, type DecimalSeparator } from './numbers.js';

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

describe('parseDecimalCell (digits read from the bytes)', () => {
  const cell = (text: string, separator: DecimalSeparator) =>
    // Neighbours on both sides: the parse must stay inside its cell's bytes.
    parseDecimalCell(textCells(['-9', text, '7']), 1, separator);

  it('gives exactly the double Number() gives, for many plain decimals', () => {
    for (let i = 0; i < 20_000; i += 1) {
      const text = (Math.sin(i) * 10 ** (i % 9)).toFixed(i % 7);
      expect(cell(text, '.')).toBe(Number(text));
      expect(cell(text.replace('.', ','), ',')).toBe(Number(text));
    }
    expect(cell('123456789012345,6', ',')).toBe(123456789012345.6);
    expect(cell('-0,0', ',')).toBe(-0);
    expect(cell('+,5', ',')).toBe(0.5);
    expect(cell('7,', ',')).toBe(7);
  });

  it('agrees with parseDecimal where the text is not a plain decimal', () => {
    for (const text of ['', '-', ',', ' 42 ', '1e3', '1,2,3', 'NaN', '1234567890123456,7', '1.5', '２']) {
      for (const separator of [',', '.'] as const)
        expect(cell(text, separator)).toBe(parseDecimal(text, separator));
    }
  });
});
