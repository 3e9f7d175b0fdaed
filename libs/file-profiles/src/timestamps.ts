import { epochUs, type EpochUs } from '@millrace/time';
import { IANAZone } from 'luxon';
import type { CsvCells } from './csv.js';
import { FileProfileError } from './errors.js';

export type ParsedTimestamp = { ok: true; us: EpochUs } | { ok: false; reason: string };

/** Parses one timestamp of a file into microseconds since the epoch, UTC. */
export interface TimestampParser {
  (text: string): ParsedTimestamp;
  /** The same for a record's cell, its digits read from the file's bytes. */
  cell(cells: CsvCells, index: number): ParsedTimestamp;
}

const TOKENS = ['yyyy', 'MM', 'dd', 'HH', 'mm', 'ss', 'SSSSSS', 'SSS'] as const;
type Token = (typeof TOKENS)[number];

const MINUTE_MS = 60_000;
const HALF_DAY_MS = 12 * 3_600_000;
const MAX_US = 4_102_444_800_000_000; // 2100-01-01, the bound of epochUsSchema
const CACHE_LIMIT = 100_000;

/** Offsets of a local minute: one (the usual case), two (the hour repeated at fall-back) or none (spring-forward gap). */
type MinuteOffsets = readonly number[];

/**
 * Compiles a fixed-width local-time format (tokens `yyyy MM dd HH mm ss SSS SSSSSS`, anything else
 * literal, e.g. `dd.MM.yyyy HH:mm:ss,SSS`) for a plant time zone.
 *
 * DST: a local time inside the spring-forward gap does not exist and is refused with a reason. A
 * local time in the repeated hour at fall-back is ambiguous; it resolves to its EARLIER instant
 * (the first pass, still on summer time), because a machine writing rows in order reaches that one
 * first, and picking one fixed rule keeps a re-read of the file identical (QuestDB dedups on ts).
 *
 * The zone's offset is looked up once per local minute (offsets change only on whole minutes) and
 * cached, so a million rows cost a walk over their characters each, not a time-zone computation each.
 */
export function compileTimestampParser(format: string, timeZone: string): TimestampParser {
  const zone = IANAZone.create(timeZone);
  if (!zone.isValid) throw new FileProfileError(`unknown time zone "${timeZone}"`, { timeZone });
  const { slots, order } = compileFormat(format);
  const cache = new Map<number, MinuteOffsets>();
  let lastMinute = Number.NaN;
  let lastOffsets: MinuteOffsets = [];

  const minuteOffsets = (localMinute: number): MinuteOffsets => {
    let offsets = cache.get(localMinute);
    if (offsets === undefined) {
      offsets = localOffsets(zone, localMinute * MINUTE_MS);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(localMinute, offsets);
    }
    return offsets;
  };
  // Per local hour: its one offset when its first and last minute share it. With at most one change
  // within ±12 h (see localOffsets), no change can then fall inside the hour. Spares the Intl calls
  // of luxon's zone.offset for files with a row a second (a new minute every 60 rows).
  const hourCache = new Map<number, MinuteOffsets | null>();
  const offsetsOf = (localMinute: number): MinuteOffsets => {
    // Rows come in time order: most share the previous row's minute.
    if (localMinute === lastMinute) return lastOffsets;
    const hour = Math.floor(localMinute / 60);
    let whole = hourCache.get(hour);
    if (whole === undefined) {
      const first = minuteOffsets(hour * 60);
      const last = minuteOffsets(hour * 60 + 59);
      whole = first.length === 1 && last.length === 1 && first[0] === last[0] ? first : null;
      if (hourCache.size >= CACHE_LIMIT) hourCache.clear();
      hourCache.set(hour, whole);
    }
    lastMinute = localMinute;
    lastOffsets = whole ?? minuteOffsets(localMinute);
    return lastOffsets;
  };
  const fields = new Array<number>(order.length).fill(0);

  // Every token is fixed-width digits and every literal one ASCII character, so a walk over the
  // layout reads the same language as the regular expression `^(\d{4})\.…$`, without one. It walks
  // bytes: a cell's straight from the file, a text's as UTF-8 (where no other character is ASCII).
  const matchLayout = (bytes: Uint8Array, start: number, end: number): boolean => {
    if (end - start !== slots.length) return false;
    fields.fill(0);
    for (let index = 0; index < slots.length; index += 1) {
      const slot = slots[index]!;
      const code = bytes[start + index]!;
      if (slot >= 0) {
        if (code < 0x30 || code > 0x39) return false;
        fields[slot] = fields[slot]! * 10 + (code - 0x30);
      } else if (code !== -slot - 1) {
        return false;
      }
    }
    return true;
  };

  const parse = (text: string): ParsedTimestamp => {
    const bytes = Buffer.from(text.trim(), 'utf8');
    if (!matchLayout(bytes, 0, bytes.length))
      return { ok: false, reason: `timestamp "${text}" does not match format "${format}"` };
    return outcome(instant(), text);
  };
  const cell = (cells: CsvCells, index: number): ParsedTimestamp => {
    const { bytes } = cells;
    let start = cells.startOf(index);
    let end = cells.endOf(index);
    while (start < end && (bytes[start] === SPACE || bytes[start] === TAB)) start += 1;
    while (end > start && (bytes[end - 1] === SPACE || bytes[end - 1] === TAB)) end -= 1;
    // Not the layout here, it may still be behind other white space (a no-break space): the text decides.
    if (!matchLayout(bytes, start, end)) return parse(cells.text(index));
    const us = instant();
    return typeof us === 'number' ? { ok: true, us: epochUs(us) } : outcome(us, cells.text(index));
  };
  const outcome = (us: number | Refusal, text: string): ParsedTimestamp =>
    typeof us === 'number' ? { ok: true, us: epochUs(us) } : { ok: false, reason: us(text) };
  const notInZone: Refusal = (text) =>
    `local time "${text}" does not exist in ${timeZone} (skipped by the DST change)`;

  /** The instant of the fields the layout matched, in µs, or why there is none. */
  function instant(): number | Refusal {
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let micros = 0;
    for (let index = 0; index < order.length; index += 1) {
      const value = fields[index] ?? 0;
      switch (order[index]) {
        case 'yyyy':
          year = value;
          break;
        case 'MM':
          month = value;
          break;
        case 'dd':
          day = value;
          break;
        case 'HH':
          hour = value;
          break;
        case 'mm':
          minute = value;
          break;
        case 'ss':
          second = value;
          break;
        case 'SSS':
          micros = value * 1000;
          break;
        case 'SSSSSS':
          micros = value;
          break;
      }
    }
    if (
      month < 1 ||
      month > 12 ||
      day < 1 ||
      day > daysInMonth(year, month) ||
      hour > 23 ||
      minute > 59 ||
      second > 59
    ) {
      return notADate;
    }
    const wallMs = Date.UTC(year, month - 1, day, hour, minute, second);
    const offsets = offsetsOf(Math.floor(wallMs / MINUTE_MS));
    // Largest offset first = earliest instant: the documented choice for the repeated hour.
    const offsetMin = offsets[0];
    if (offsetMin === undefined) return notInZone;
    const us = (wallMs - offsetMin * MINUTE_MS) * 1000 + micros;
    return us < 0 || us > MAX_US ? outOfRange : us;
  }
  return Object.assign(parse, { cell });
}

/** The reason a timestamp's text is refused; made only for a refused cell (a cell's text is a string made). */
type Refusal = (text: string) => string;
const notADate: Refusal = (text) => `timestamp "${text}" is not a valid date and time`;
const outOfRange: Refusal = (text) => `timestamp "${text}" is outside 1970–2100`;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * Every UTC offset (minutes) under which the local wall time `wallMs` exists in `zone`, largest first.
 * Assumes at most one offset change within ±12 h, true of every zone in the tz database since 1970.
 */
function localOffsets(zone: IANAZone, wallMs: number): MinuteOffsets {
  const candidates = new Set([
    zone.offset(wallMs - HALF_DAY_MS),
    zone.offset(wallMs),
    zone.offset(wallMs + HALF_DAY_MS),
  ]);
  return [...candidates]
    .filter((offset) => zone.offset(wallMs - offset * MINUTE_MS) === offset)
    .sort((a, b) => b - a);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/**
 * The format's layout, one slot per character: a token's index (>= 0) where a digit of that token
 * stands, or `-(charCode + 1)` for a literal character; and the tokens in order.
 */
function compileFormat(format: string): { slots: number[]; order: Token[] } {
  const order: Token[] = [];
  const slots: number[] = [];
  let rest = format;
  while (rest.length > 0) {
    const token = TOKENS.find((candidate) => rest.startsWith(candidate));
    if (token !== undefined) {
      for (let digit = 0; digit < token.length; digit += 1) slots.push(order.length);
      order.push(token);
      rest = rest.slice(token.length);
    } else {
      if (/[A-Za-z]/.test(rest[0] ?? '')) {
        throw new FileProfileError(`timestamp format "${format}": unsupported token at "${rest}"`, {
          format,
        });
      }
      if (rest.charCodeAt(0) > 0x7f) {
        throw new FileProfileError(`timestamp format "${format}": "${rest[0]}" is not an ASCII character`, {
          format,
        });
      }
      slots.push(-rest.charCodeAt(0) - 1);
      rest = rest.slice(1);
    }
  }
  for (const required of ['yyyy', 'MM', 'dd', 'HH', 'mm'] as const) {
    if (!order.includes(required))
      throw new FileProfileError(`timestamp format "${format}" lacks ${required}`, { format });
  }
  return { slots, order };
}
