import type { EpochUs } from '@millrace/time';

/** Statistics of one tag over one window; `count` 0 means the window held no sample. */
export interface WindowStats {
  count: number;
  mean: number;
  max: number;
  /** Value of the last sample in the window. */
  last: number;
}

/** Width of one window's stats in `windowInto`'s output: count, mean, max, last. */
export const STATS_WIDTH = 4;

/** What feature extraction reads: a {@link SeriesStore}, or the live window cache. */
export interface SeriesReader {
  /** Newest timestamp held for `tag`, or undefined. */
  newest(tag: string): EpochUs | undefined;
  /**
   * Stats of `tag` over `[fromUs, toUs]` (both ends included) written as `count, mean, max, last` at
   * `out[offset..offset+3]`, NaN when the window is empty.
   */
  windowInto(tag: string, fromUs: number, toUs: number, out: Float64Array, offset: number): void;
  /** Last value of `tag` at or before `atUs`. */
  valueAt(tag: string, atUs: number): number | undefined;
}

interface Column {
  ts: number[];
  values: number[];
  sorted: boolean;
}

/**
 * Machine signals as aligned columns per tag (ts in microseconds, numeric values), the currency between
 * a sample source (QuestDB rows, the simulator, a CSV) and the feature extraction. Windows are found by
 * binary search, so a cell's features cost O(log n) per tag, not a scan.
 */
export class SeriesStore implements SeriesReader {
  private readonly columns = new Map<string, Column>();

  /** Adds samples of one tag; they may arrive in any order. Non-finite values are not stored. */
  add(tag: string, ts: readonly number[], values: readonly number[]): void {
    let column = this.columns.get(tag);
    if (!column) {
      column = { ts: [], values: [], sorted: true };
      this.columns.set(tag, column);
    }
    for (let index = 0; index < ts.length; index += 1) {
      const value = values[index];
      const time = ts[index];
      if (value === undefined || time === undefined || !Number.isFinite(value)) continue;
      const previous = column.ts[column.ts.length - 1];
      if (previous !== undefined && time < previous) column.sorted = false;
      column.ts.push(time);
      column.values.push(value);
    }
  }

  tags(): string[] {
    return [...this.columns.keys()];
  }

  /** Every sample of `tag` in time order, as aligned columns (e.g. to write simulated history to a store). */
  samples(tag: string): { ts: readonly number[]; values: readonly number[] } {
    const column = this.sortedColumn(tag);
    return column ? { ts: column.ts, values: column.values } : { ts: [], values: [] };
  }

  /** Newest timestamp held for `tag`, or undefined. */
  newest(tag: string): EpochUs | undefined {
    const column = this.sortedColumn(tag);
    const last = column?.ts[column.ts.length - 1];
    return last === undefined ? undefined : (last as EpochUs);
  }

  /** Stats of `tag` over `[fromUs, toUs]` (both ends included, as a sample on the edge belongs to the window). */
  window(tag: string, fromUs: number, toUs: number): WindowStats {
    const out = new Float64Array(STATS_WIDTH);
    this.windowInto(tag, fromUs, toUs, out, 0);
    return { count: out[0]!, mean: out[1]!, max: out[2]!, last: out[3]! };
  }

  /**
   * The same stats written as `count, mean, max, last` at `out[offset..offset+3]` (NaN when the window is
   * empty): the allocation-free form the per-cell feature extraction uses.
   */
  windowInto(tag: string, fromUs: number, toUs: number, out: Float64Array, offset: number): void {
    const column = this.sortedColumn(tag);
    if (!column) windowStatsInto([], [], 0, toUs, out, offset);
    else windowStatsInto(column.ts, column.values, lowerBound(column.ts, fromUs), toUs, out, offset);
  }

  /** Last value of `tag` at or before `atUs`. */
  valueAt(tag: string, atUs: number): number | undefined {
    const column = this.sortedColumn(tag);
    if (!column) return undefined;
    const index = lowerBound(column.ts, atUs + 1) - 1;
    return index >= 0 ? column.values[index] : undefined;
  }

  private sortedColumn(tag: string): Column | undefined {
    const column = this.columns.get(tag);
    if (column && !column.sorted) {
      const order = column.ts.map((_, index) => index).sort((a, b) => column.ts[a]! - column.ts[b]!);
      column.ts = order.map((index) => column.ts[index]!);
      column.values = order.map((index) => column.values[index]!);
      column.sorted = true;
    }
    return column;
  }
}

/**
 * Stats of the sorted samples from index `start` up to time `toUs` (included), as `count, mean, max, last`
 * at `out[offset..offset+3]`: the one loop both sample holders share.
 */
export function windowStatsInto(
  ts: readonly number[],
  values: readonly number[],
  start: number,
  toUs: number,
  out: Float64Array,
  offset: number,
): void {
  let count = 0;
  let sum = 0;
  let max = -Infinity;
  let last = Number.NaN;
  for (let index = start; index < ts.length && ts[index]! <= toUs; index += 1) {
    const value = values[index]!;
    count += 1;
    sum += value;
    if (value > max) max = value;
    last = value;
  }
  out[offset] = count;
  out[offset + 1] = count === 0 ? Number.NaN : sum / count;
  out[offset + 2] = count === 0 ? Number.NaN : max;
  out[offset + 3] = last;
}

/** First index at or after `from` whose value is not below `value` (`sorted` ascending). */
export function lowerBound(sorted: readonly number[], value: number, from = 0): number {
  let low = from;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
