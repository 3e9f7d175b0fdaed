import { isoToUs, type EpochUs } from '@millrace/time';

const DIGIT_0 = 48;
const DAY_US = 86_400_000_000;

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant, "chrono-compatible low-level date algorithms"). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The number in `text[from, from + length)`, or NaN if any character there is not a digit. */
function digits(text: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const digit = text.charCodeAt(i) - DIGIT_0;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Parses QuestDB's PG-wire timestamp text, `2025-01-13 22:56:40.123456` (UTC, the fraction optional and
 * up to 6 digits, maybe suffixed `Z` or `+00`), to microseconds without a regex or a `Date`: a wide
 * series answer carries hundreds of thousands of them. Anything else takes the general ISO path.
 */
export function parseWireTimestamp(text: string): EpochUs {
  const separator = text.charCodeAt(10);
  const fixed =
    text.length >= 19 &&
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(7) === 45 &&
    (separator === 32 || separator === 84) &&
    text.charCodeAt(13) === 58 &&
    text.charCodeAt(16) === 58;
  if (fixed) {
    let end = text.length;
    const last = text.charCodeAt(end - 1);
    if (last === 90)
      end -= 1; // Z
    else if (text.endsWith('+00')) end -= 3;
    else if (text.endsWith('+00:00')) end -= 6;
    let micros = 0;
    let fractionOk = end === 19;
    if (end > 20 && end <= 26 && text.charCodeAt(19) === 46) {
      micros = digits(text, 20, end - 20) * 10 ** (26 - end);
      fractionOk = true;
    }
    const year = digits(text, 0, 4);
    const month = digits(text, 5, 2);
    const day = digits(text, 8, 2);
    const seconds = digits(text, 11, 2) * 3600 + digits(text, 14, 2) * 60 + digits(text, 17, 2);
    if (fractionOk && !Number.isNaN(year + month + day + seconds + micros) && month >= 1 && month <= 12) {
      return (daysFromCivil(year, month, day) * DAY_US + seconds * 1_000_000 + micros) as EpochUs;
    }
  }
  return isoToUs(text.replace(' ', 'T').replace(/(\+00(:?00)?|Z)?$/, 'Z'));
}
