import type { EpochUs } from '@millrace/time';

/** A tumbling-window width, the same as the rollup views' (libs/schema VIEWS). */
export type Resolution = '1s' | '1m' | '1h';

/** Every resolution, finest first. */
export const RESOLUTIONS: readonly Resolution[] = Object.freeze(['1s', '1m', '1h']);

/** Window width of each resolution in microseconds. */
export const RESOLUTION_US: Readonly<Record<Resolution, number>> = Object.freeze({
  '1s': 1_000_000,
  '1m': 60_000_000,
  '1h': 3_600_000_000,
});

/**
 * Start of the window of `resolution` that holds `ts`: floor to a multiple of the width, counted from
 * the Unix epoch in UTC, so windows never depend on the machine's zone (leap seconds do not exist in
 * epoch time). Also floors correctly for instants before 1970.
 */
export function windowStart(ts: EpochUs, resolution: Resolution): EpochUs {
  return floorTo(ts, RESOLUTION_US[resolution]) as EpochUs;
}

/** End of the window of `resolution` that holds `ts`, exclusive: the next window's start. */
export function windowEnd(ts: EpochUs, resolution: Resolution): EpochUs {
  const size = RESOLUTION_US[resolution];
  return (floorTo(ts, size) + size) as EpochUs;
}

// `%` keeps the dividend's sign, so a negative remainder (an instant before 1970) needs one step back.
export function floorTo(ts: number, size: number): number {
  const offset = ts % size;
  return offset < 0 ? ts - offset - size : ts - offset;
}
