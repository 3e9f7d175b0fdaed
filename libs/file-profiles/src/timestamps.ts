import { epochUs, type EpochUs } from '@millrace/time';
import { IANAZone } from 'luxon';
import { FileProfileError } from './errors.js';

export type ParsedTimestamp = { ok: true; us: EpochUs } | { ok: false; reason: string };

/** Parses one timestamp cell of a file into microseconds since the epoch, UTC. */
export type TimestampParser = (text: string) => ParsedTimestamp;

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

  return (text) => {
    // Every token is fixed-width digits and every literal one character, so a char-code walk over
    // the layout reads the same language as the regular expression `^(\d{4})\.…$`, without one.
    const trimmed = text.trim();
    let matches = trimmed.length === slots.length;
    fields.fill(0);
    for (let index = 0; matches && index < slots.length; index += 1) {
      const slot = slots[index] ?? 0;
      const code = trimmed.charCodeAt(index);
      if (slot >= 0) {
        if (code < 0x30 || code > 0x39) matches = false;
        else fields[slot] = (fields[slot] ?? 0) * 10 + (code - 0x30);
      } else if (code !== -slot - 1) {
        matches = false;
      }
    }
    if (!matches) return { ok: false, reason: `timestamp "${text}" does not match format "${format}"` };
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
      return { ok: false, reason: `timestamp "${text}" is not a valid date and time` };
    }
    const wallMs = Date.UTC(year, month - 1, day, hour, minute, second);
    const offsets = offsetsOf(Math.floor(wallMs / MINUTE_MS));
    // Largest offset first = earliest instant: the documented choice for the repeated hour.
    const offsetMin = offsets[0];
    if (offsetMin === undefined) {
      return {
        ok: false,
        reason: `local time "${text}" does not exist in ${timeZone} (skipped by the DST change)`,
      };
    }
    const us = (wallMs - offsetMin * MINUTE_MS) * 1000 + micros;
    if (us < 0 || us > MAX_US) return { ok: false, reason: `timestamp "${text}" is outside 1970–2100` };
    return { ok: true, us: epochUs(us) };
  };
}

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
