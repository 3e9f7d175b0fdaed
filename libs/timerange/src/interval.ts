import { TimeRangeError } from './errors.js';

/** A fixed bucket width for tables: `30s`, `1m`, `15m`, `1h`, `8h` (a shift), `1d`. */
export interface Interval {
  /** Canonical text, safe to splice into QuestDB's `SAMPLE BY` (digits and one unit letter). */
  readonly text: string;
  readonly count: number;
  readonly unit: 's' | 'm' | 'h' | 'd';
  /** Nominal length; a calendar day in a zone with DST is 23 or 25 hours, so use this only for sizing. */
  readonly nominalMs: number;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const INTERVAL = /^([1-9]\d{0,3})([smhd])$/;

/** Parses an interval like `1m` or `1d`; throws a {@link TimeRangeError} with the accepted form otherwise. */
export function parseInterval(text: string): Interval {
  const match = INTERVAL.exec(text.trim());
  if (!match)
    throw new TimeRangeError(`interval "${text}" must be 1-9999 followed by s, m, h or d (e.g. 1m, 8h, 1d)`);
  const count = Number(match[1]);
  const unit = match[2] as Interval['unit'];
  return { text: `${count}${unit}`, count, unit, nominalMs: count * UNIT_MS[unit] };
}
