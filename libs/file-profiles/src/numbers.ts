import type { CsvCells } from './csv.js';

export type DecimalSeparator = '.' | ',';

const DOT_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const COMMA_NUMBER = /^[+-]?(?:\d+(?:,\d*)?|,\d+)(?:[eE][+-]?\d+)?$/;
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);
const DOT = 0x2e;
const COMMA = 0x2c;
const PLUS = 0x2b;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
/** Not a number plainDecimal can return (it has digits): "this cell needs the general path". */
const UNFIT = Number.NaN;

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

/** {@link parseDecimal} of a record's cell, read from the file's bytes when it is a plain decimal (nearly always). */
export function parseDecimalCell(
  cells: CsvCells,
  index: number,
  separator: DecimalSeparator,
): number | undefined {
  const fast = plainDecimal(
    cells.bytes,
    cells.startOf(index),
    cells.endOf(index),
    separator === ',' ? COMMA : DOT,
  );
  return Number.isNaN(fast) ? parseDecimal(cells.text(index), separator) : fast;
}

/**
 * The hot path of {@link parseDecimalCell}, for the cells plant files are made of (`-12,345`): sign,
 * at most 15 digits, one separator, no exponent or spaces. The mantissa and 10^k are then exact
 * doubles, so `mantissa / 10^k` is correctly rounded: the very double `Number()` gives for the text
 * (Clinger's fast path). Anything else returns UNFIT for the general path.
 */
function plainDecimal(bytes: Uint8Array, start: number, end: number, separator: number): number {
  let p = start;
  let negative = false;
  const first = start < end ? bytes[p] : undefined;
  if (first === MINUS || first === PLUS) {
    negative = first === MINUS;
    p += 1;
  }
  let mantissa = 0;
  let digits = 0;
  let scale = -1;
  for (; p < end; p += 1) {
    const code = bytes[p]!;
    if (code >= ZERO && code <= NINE) {
      mantissa = mantissa * 10 + (code - ZERO);
      digits += 1;
      if (scale >= 0) scale += 1;
    } else if (code === separator && scale < 0) {
      scale = 0;
    } else {
      return UNFIT;
    }
  }
  if (digits === 0 || digits > 15) return UNFIT;
  const value = scale > 0 ? mantissa / (POWERS_OF_TEN[scale] ?? 1) : mantissa;
  return negative ? -value : value;
}
