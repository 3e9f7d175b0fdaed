/**
 * Time units are branded so a unit bug is a type error: QuestDB and the wire use microseconds,
 * Kafka and browsers milliseconds, uPlot seconds. Every conversion lives here.
 */
declare const unit: unique symbol;

/** Microseconds since the Unix epoch, UTC: the unit on the wire and in QuestDB. */
export type EpochUs = number & { readonly [unit]: 'us' };
/** Milliseconds since the Unix epoch, UTC: Kafka timestamps, `Date`, browsers. */
export type EpochMs = number & { readonly [unit]: 'ms' };
/** Seconds since the Unix epoch, UTC, possibly fractional: uPlot's x axis. */
export type EpochS = number & { readonly [unit]: 's' };

export const epochUs = (value: number): EpochUs => value as EpochUs;
export const epochMs = (value: number): EpochMs => value as EpochMs;
export const epochS = (value: number): EpochS => value as EpochS;

export const msToUs = (ms: EpochMs): EpochUs => (ms * 1000) as EpochUs;
/** Truncates towards negative infinity so a sub-millisecond instant maps to the millisecond that holds it. */
export const usToMs = (us: EpochUs): EpochMs => Math.floor(us / 1000) as EpochMs;
export const usToS = (us: EpochUs): EpochS => (us / 1_000_000) as EpochS;
export const sToUs = (s: EpochS): EpochUs => Math.round(s * 1_000_000) as EpochUs;
export const msToS = (ms: EpochMs): EpochS => (ms / 1000) as EpochS;

export const dateToUs = (date: Date): EpochUs => msToUs(date.getTime() as EpochMs);
export const usToDate = (us: EpochUs): Date => new Date(usToMs(us));
/** ISO-8601 in UTC with microsecond precision, as QuestDB prints timestamps. */
export function usToIso(us: EpochUs): string {
  const ms = usToMs(us);
  const micros = us - ms * 1000;
  return new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

/** Parses an ISO-8601 instant (with zone or `Z`) to microseconds; up to microsecond precision is kept. */
export function isoToUs(iso: string): EpochUs {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/.exec(iso);
  if (!match) throw new RangeError(`not an ISO-8601 instant with a zone: ${iso}`);
  const [, base, fraction = '', zone] = match;
  const ms = Date.parse(`${base}${zone}`);
  if (Number.isNaN(ms)) throw new RangeError(`not a valid instant: ${iso}`);
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  return (ms * 1000 + micros) as EpochUs;
}

/** The current instant; pass `now` into time code instead of calling this deep inside it. */
export const nowUs = (): EpochUs => msToUs(Date.now() as EpochMs);
