import { epochMs, type EpochMs } from '@millrace/time';
import { DateTime, IANAZone, type DurationLikeObject } from 'luxon';
import { TimeRangeError } from './errors.js';

/** A time range as Grafana keeps it: the text the user wrote, and the instants it meant at one `now`. */
export interface TimeRange {
  readonly raw: { readonly from: string; readonly to: string };
  readonly from: EpochMs;
  readonly to: EpochMs;
}

export interface ResolveOptions {
  /** The one instant every relative expression of a refresh is resolved against. */
  now: EpochMs;
  /** IANA zone of the plant: `now-1d`, `/d` and zone-less ISO times are calendar arithmetic there. */
  zone: string;
}

const UNITS = {
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
  w: 'weeks',
  M: 'months',
  y: 'years',
} as const satisfies Record<string, keyof DurationLikeObject>;
type UnitLetter = keyof typeof UNITS;

const START_OF = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  M: 'month',
  y: 'year',
} as const;

// Grafana's date math: `now`, then any number of `+N<unit>` / `-N<unit>` steps, then an optional `/<unit>` rounding.
const RELATIVE = /^now((?:[+-]\d{1,9}[smhdwMy])*)(?:\/([smhdwMy]))?$/;
const STEP = /([+-])(\d{1,9})([smhdwMy])/g;
const EPOCH_MS = /^\d{1,15}$/;

function zoneOf(zone: string): IANAZone {
  const resolved = IANAZone.create(zone);
  if (!resolved.isValid) throw new TimeRangeError(`unknown time zone "${zone}"`);
  return resolved;
}

/**
 * Resolves one end of a range: `now`, `now-6h`, `now-7d/d`, an ISO-8601 time (a time without an
 * offset is the plant's local time) or epoch milliseconds. Rounding (`/d`) goes down to the start of
 * the unit, or with `roundUp` to the start of the next one: ranges are half-open `[from, to)`, so
 * `to=now/d` means "until the end of today". Day, week, month and year steps are calendar steps in
 * `zone`, so `now-1d` across a DST change is 23 or 25 hours, as a person reading the plant clock means.
 */
export function parseTimeExpression(text: string, options: ResolveOptions & { roundUp?: boolean }): EpochMs {
  const zone = zoneOf(options.zone);
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new TimeRangeError('a time is empty');

  const relative = RELATIVE.exec(trimmed);
  if (relative) {
    let time = DateTime.fromMillis(options.now, { zone });
    for (const [, sign, amount, unit] of (relative[1] ?? '').matchAll(STEP)) {
      const duration = { [UNITS[unit as UnitLetter]]: Number(amount) };
      time = sign === '-' ? time.minus(duration) : time.plus(duration);
    }
    const round = relative[2] as UnitLetter | undefined;
    if (round !== undefined) {
      const start = time.startOf(START_OF[round], { useLocaleWeeks: false });
      time = options.roundUp ? start.plus({ [UNITS[round]]: 1 }) : start;
    }
    return epochMs(time.toMillis());
  }

  if (EPOCH_MS.test(trimmed)) return epochMs(Number(trimmed));

  const iso = DateTime.fromISO(trimmed, { zone });
  if (!iso.isValid) {
    throw new TimeRangeError(
      `"${text}" is neither an ISO-8601 time, epoch milliseconds, nor a relative time like now-6h or now-7d/d`,
    );
  }
  return epochMs(iso.toMillis());
}

/**
 * Resolves a raw `{from, to}` against one `now`; `to` rounds up (`now/d` is the end of today).
 * Throws a {@link TimeRangeError} naming the side when either end is invalid or `from` is not before `to`.
 */
export function resolveTimeRange(
  raw: { readonly from: string; readonly to: string },
  options: ResolveOptions,
): TimeRange {
  const from = withSide('from', () => parseTimeExpression(raw.from, options));
  const to = withSide('to', () => parseTimeExpression(raw.to, { ...options, roundUp: true }));
  if (from >= to) {
    throw new TimeRangeError(
      `from (${raw.from} = ${new Date(from).toISOString()}) must be before to (${raw.to} = ${new Date(to).toISOString()})`,
    );
  }
  return { raw: { from: raw.from, to: raw.to }, from, to };
}

function withSide(side: 'from' | 'to', resolve: () => EpochMs): EpochMs {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof TimeRangeError) throw new TimeRangeError(`${side}: ${error.message}`);
    throw error;
  }
}

/**
 * The UTC offsets `zone` has over `[from, to]` (at both ends and at January and July of each year
 * between), in ms: a bucket aligned to local midnight starts at a multiple of a tier's resolution only
 * if every offset is one.
 */
export function zoneOffsetsMs(zone: string, from: EpochMs, to: EpochMs): number[] {
  const resolved = zoneOf(zone);
  const offsets = new Set([resolved.offset(from), resolved.offset(to)]);
  const first = DateTime.fromMillis(from, { zone: resolved }).year;
  const last = DateTime.fromMillis(to, { zone: resolved }).year;
  for (let year = first; year <= last && year - first < 100; year += 1) {
    for (const month of [1, 7])
      offsets.add(resolved.offset(DateTime.fromObject({ year, month }, { zone: resolved }).toMillis()));
  }
  return [...offsets].map((minutes) => minutes * 60_000);
}
