import { epochUs, type EpochUs } from '@millrace/time';

/** A storage tier: raw samples (resolution 0) or a rollup whose buckets are `resolutionUs` long, aligned to the epoch. */
export interface Tier {
  readonly name: string;
  readonly resolutionUs: number;
}

/**
 * Pixel columns over a range: column `i` is `[originUs + i * pixelUs, originUs + (i + 1) * pixelUs)`.
 * `columns * pixelUs` covers `[from, to)`; the last column may reach past `to`.
 */
export interface PixelGrid {
  readonly originUs: EpochUs;
  readonly pixelUs: number;
  readonly columns: number;
}

export interface M4Plan extends PixelGrid {
  readonly tier: Tier;
}

/** Column of an instant on a grid (may be negative or ≥ columns for instants outside it). */
export function columnOf(time: number, grid: PixelGrid): number {
  return Math.floor((time - grid.originUs) / grid.pixelUs);
}

/**
 * The grid of `width` columns over `[fromUs, toUs)`, with whole-microsecond columns that are a multiple
 * of `stepUs` and an origin aligned down to `stepUs`: then every column is a union of whole tier buckets,
 * so M4 over a rollup is exactly M4 over raw (a bucket never straddles two columns).
 */
export function pixelGrid(fromUs: number, toUs: number, width: number, stepUs = 1): PixelGrid {
  if (!(toUs > fromUs)) throw new RangeError(`empty range [${fromUs}, ${toUs})`);
  if (!Number.isInteger(width) || width < 1)
    throw new RangeError(`width must be a positive integer, got ${width}`);
  const step = Math.max(1, stepUs);
  const originUs = Math.floor(fromUs / step) * step;
  const pixelUs = Math.max(step, Math.ceil((toUs - originUs) / width / step) * step);
  return { originUs: epochUs(originUs), pixelUs, columns: Math.ceil((toUs - originUs) / pixelUs) };
}

/** Rows a tier may return per tag, as a multiple of the width: M4 draws at most 4 points a column. */
export const MAX_ROWS_PER_COLUMN = 4;

/**
 * Picks the tier a picture is read from: raw when a pixel column is shorter than the finest rollup's
 * bucket (only raw can draw it), else the finest rollup whose buckets in the range number at most
 * `MAX_ROWS_PER_COLUMN × width`, so a query reads about as many rows as the picture can show whatever
 * the zoom (the coarsest rollup when even it has more). Columns are then whole buckets of that tier,
 * so M4 over the rollup is exactly M4 over raw at the tier's resolution; a spike is kept as the min or
 * max of its bucket. With a single tier (a caller forcing one), that tier.
 */
export function planM4(fromUs: number, toUs: number, width: number, tiers: readonly Tier[]): M4Plan {
  const raw = tiers.find((tier) => tier.resolutionUs === 0);
  const rollups = tiers
    .filter((tier) => tier.resolutionUs > 0)
    .sort((a, b) => a.resolutionUs - b.resolutionUs);
  const rangeUs = toUs - fromUs;
  const finest = rollups[0];
  let tier: Tier | undefined;
  if (raw !== undefined && (finest === undefined || rangeUs / width < finest.resolutionUs)) tier = raw;
  else
    tier =
      rollups.find((candidate) => rangeUs / candidate.resolutionUs <= MAX_ROWS_PER_COLUMN * width) ??
      rollups.at(-1);
  if (tier === undefined) throw new RangeError('no tiers to plan with');
  return { tier, ...pixelGrid(fromUs, toUs, width, tier.resolutionUs) };
}

/**
 * The coarsest tier whose buckets nest in every bucket of a fixed interval: its resolution divides the
 * interval and every UTC offset the buckets are aligned to (a zone at +05:30 cannot use hourly rollups
 * for local days). Raw always fits.
 */
export function tierForInterval(
  intervalUs: number,
  offsetsUs: readonly number[],
  tiers: readonly Tier[],
): Tier {
  const divides = (tier: Tier) =>
    tier.resolutionUs === 0 ||
    (intervalUs % tier.resolutionUs === 0 && offsetsUs.every((offset) => offset % tier.resolutionUs === 0));
  const tier = tiers
    .filter(divides)
    .reduce<Tier | undefined>(
      (best, candidate) =>
        best === undefined || candidate.resolutionUs > best.resolutionUs ? candidate : best,
      undefined,
    );
  if (tier === undefined) throw new RangeError('no tier fits: tiers must include a raw tier (resolution 0)');
  return tier;
}
