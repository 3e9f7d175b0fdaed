import { usToIso } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { textCells } from './csv.js';
import { compileTimestampParser } from './timestamps.js';

const berlinSemicolon = compileTimestampParser('dd.MM.yyyy HH:mm:ss,SSS', 'Europe/Berlin');
const berlinTab = compileTimestampParser('yyyy-MM-dd HH:mm:ss.SSS', 'Europe/Berlin');

function iso(text: string, parse = berlinSemicolon): string {
  const result = parse(text);
  if (!result.ok) throw new Error(result.reason);
  return usToIso(result.us);
}

describe('compileTimestampParser', () => {
  it('reads both demo-plant formats as plant-local time, whatever the process TZ (tests run in Pacific/Easter)', () => {
    expect(iso('13.01.2025 23:56:40,125')).toBe('2025-01-13T22:56:40.125000Z');
    expect(iso('2025-07-01 12:00:00.000', berlinTab)).toBe('2025-07-01T10:00:00.000000Z');
  });

  it('refuses a local time inside the spring-forward gap with a reason', () => {
    const result = berlinSemicolon('30.03.2025 02:30:00,000');
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('does not exist in Europe/Berlin') });
    expect(iso('30.03.2025 01:59:59,999')).toBe('2025-03-30T00:59:59.999000Z');
    expect(iso('30.03.2025 03:00:00,000')).toBe('2025-03-30T01:00:00.000000Z');
  });

  it('resolves the repeated fall-back hour to its earlier instant (summer time)', () => {
    expect(iso('26.10.2025 02:30:00,000')).toBe('2025-10-26T00:30:00.000000Z');
    expect(iso('26.10.2025 01:59:00,000')).toBe('2025-10-25T23:59:00.000000Z');
    expect(iso('26.10.2025 03:00:00,000')).toBe('2025-10-26T02:00:00.000000Z');
  });

  it('refuses text that is not the format or not a date', () => {
    expect(berlinSemicolon('2025-01-13 23:56:40.125').ok).toBe(false);
    expect(berlinSemicolon('31.02.2025 10:00:00,000')).toEqual({
      ok: false,
      reason: expect.stringContaining('not a valid date'),
    });
    expect(berlinSemicolon('13.01.2025 24:00:00,000').ok).toBe(false);
  });

  it('refuses an unknown zone and an unsupported token at compile time', () => {
    expect(() => compileTimestampParser('dd.MM.yyyy HH:mm', 'Mars/Olympus')).toThrow(/unknown time zone/);
    expect(() => compileTimestampParser('dd.MMM.yyyy HH:mm', 'UTC')).toThrow(/lacks MM|unsupported token/);
  });

  it("reads a record's cell from its bytes exactly as it reads the cell's text", () => {
    const texts = [
      '13.01.2025 23:56:40,125',
      ' 13.01.2025 23:56:40,125\t',
      '\u00A013.01.2025 23:56:40,125', // a no-break space: trimmed from the text, not from the bytes
      '30.03.2025 02:30:00,000',
      '31.02.2025 10:00:00,000',
      '13.01.2025 23:56:40,12x',
      'ü3.01.2025 23:56:40,125',
      '',
    ];
    for (const text of texts)
      expect(berlinSemicolon.cell(textCells(['x', text, '1']), 1)).toEqual(berlinSemicolon(text));
  });

  it('refuses a format whose literal is not ASCII at compile time', () => {
    expect(() => compileTimestampParser('dd·MM·yyyy HH:mm', 'UTC')).toThrow(/not an ASCII character/);
  });

  it('handles a half-hour zone', () => {
    const parse = compileTimestampParser('yyyy-MM-dd HH:mm:ss.SSS', 'Asia/Kolkata');
    expect(iso('2025-01-01 05:30:00.000', parse)).toBe('2025-01-01T00:00:00.000000Z');
  });
});
