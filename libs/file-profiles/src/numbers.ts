export type DecimalSeparator = '.' | ',';

const DOT_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const COMMA_NUMBER = /^[+-]?(?:\d+(?:,\d*)?|,\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a number written with the given decimal separator, strictly: `1,5` is 1.5 with a comma
 * separator and refused with a dot one, so a file read with the wrong profile fails loudly instead
 * of turning `1,5` into 15. Returns undefined for anything that is not a finite number.
 */
export function parseDecimal(text: string, separator: DecimalSeparator): number | undefined {
  const trimmed = text.trim();
  if (separator === ',') {
    if (!COMMA_NUMBER.test(trimmed)) return undefined;
    const value = Number(trimmed.replace(',', '.'));
    return Number.isFinite(value) ? value : undefined;
  }
  if (!DOT_NUMBER.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}
