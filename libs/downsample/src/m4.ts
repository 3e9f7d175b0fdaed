import { epochUs, type EpochUs } from '@millrace/time';
import { columnOf, pixelGrid, type PixelGrid } from './plan.js';

/**
 * M4 aggregates of the non-empty pixel columns, as aligned columns (index `i` is one pixel column).
 * Min, max, first and last per column are what a line chart draws in that column, so drawing these
 * four points per column gives the same pixels as drawing every sample (Jugel et al., VLDB 2014).
 * Float64 columns: a 100-tag answer is 144k columns, and plain arrays of doubles cost the collector
 * several times their size.
 */
export interface M4Columns {
  /** Pixel column index on the grid. */
  readonly column: Float64Array;
  /** Start of the column, epoch µs. */
  readonly times: Float64Array;
  /** Time of the first and last sample in the column (for a rollup: the start of its first/last bucket). */
  readonly firstTimes: Float64Array;
  readonly lastTimes: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly first: Float64Array;
  readonly last: Float64Array;
  readonly sum: Float64Array;
  readonly count: Float64Array;
}

const M4_FIELDS = 10;

/** Columns of `size` rows as views into `buffer` from `offset` (one allocation for many series). */
function m4ColumnsIn(buffer: Float64Array, offset: number, size: number): M4Columns {
  const at = (field: number) => buffer.subarray(offset + field * size, offset + (field + 1) * size);
  return {
    column: at(0),
    times: at(1),
    firstTimes: at(2),
    lastTimes: at(3),
    min: at(4),
    max: at(5),
    first: at(6),
    last: at(7),
    sum: at(8),
    count: at(9),
  };
}

function sizedM4Columns(size: number): M4Columns {
  return m4ColumnsIn(new Float64Array(M4_FIELDS * size), 0, size);
}

export function emptyM4Columns(): M4Columns {
  return sizedM4Columns(0);
}

/**
 * M4 over raw samples: `times` ascending (µs), `values` aligned with them; samples outside
 * `[fromUs, toUs)` and NaN values are skipped. One pass, no allocation per sample.
 */
export function m4(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  fromUs: number,
  toUs: number,
  width: number,
): M4Columns {
  return m4OnGrid(times, values, fromUs, toUs, pixelGrid(fromUs, toUs, width));
}

/** {@link m4} on a given grid, e.g. the one {@link planM4} chose for a tier. */
export function m4OnGrid(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  fromUs: number,
  toUs: number,
  grid: PixelGrid,
): M4Columns {
  // Sized by a first pass, filled by the second: no growing arrays.
  let columns = 0;
  let current = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < times.length; i += 1) {
    const time = times[i]!;
    if (time < fromUs || time >= toUs || Number.isNaN(values[i]!)) continue;
    const column = columnOf(time, grid);
    if (column !== current) columns += 1;
    current = column;
  }
  const out = sizedM4Columns(columns);
  current = Number.NEGATIVE_INFINITY;
  let index = -1;
  for (let i = 0; i < times.length; i += 1) {
    const time = times[i]!;
    const value = values[i]!;
    if (time < fromUs || time >= toUs || Number.isNaN(value)) continue;
    const column = columnOf(time, grid);
    if (column !== current) {
      current = column;
      index += 1;
      out.column[index] = column;
      out.times[index] = grid.originUs + column * grid.pixelUs;
      out.firstTimes[index] = time;
      out.lastTimes[index] = time;
      out.min[index] = value;
      out.max[index] = value;
      out.first[index] = value;
      out.last[index] = value;
      out.sum[index] = value;
      out.count[index] = 1;
      continue;
    }
    out.lastTimes[index] = time;
    if (value < out.min[index]!) out.min[index] = value;
    if (value > out.max[index]!) out.max[index] = value;
    out.last[index] = value;
    out.sum[index]! += value;
    out.count[index]! += 1;
  }
  return out;
}

/**
 * Rows read from a storage tier, as aligned columns: row `i` is one bucket of series `series[i]`
 * (a rollup bucket, or a group of raw samples already aggregated per pixel column) starting at
 * `start[i]`. `firstTime`/`lastTime` default to `start` (a rollup bucket has no finer times).
 */
export interface BucketRows {
  readonly length: number;
  readonly series: ArrayLike<number>;
  readonly start: ArrayLike<number>;
  readonly firstTime?: ArrayLike<number> | undefined;
  readonly lastTime?: ArrayLike<number> | undefined;
  readonly min: ArrayLike<number>;
  readonly max: ArrayLike<number>;
  /** Absent when the caller draws no first values (the series answer has none): `first` is then NaN. */
  readonly first?: ArrayLike<number> | undefined;
  readonly last: ArrayLike<number>;
  readonly sum: ArrayLike<number>;
  readonly count: ArrayLike<number>;
}

/**
 * Memory {@link m4FromBuckets} may use again from call to call. The columns it returns are views into
 * it, valid until its next call: for a caller that is done with them before it awaits anything. A
 * 100-tag answer is 11 MB of columns, and allocating that per request made V8 run a full collection
 * per request (external memory pressure).
 */
export class M4Workspace {
  private buffer = new Float64Array(0);

  take(length: number): Float64Array {
    if (this.buffer.length < length) this.buffer = new Float64Array(length);
    return this.buffer.subarray(0, length);
  }
}

/**
 * M4 per series from tier buckets on a grid whose columns are whole buckets ({@link planM4}): min of
 * mins, max of maxes, first of firsts, last of lasts per column, so the answer equals M4 over the raw
 * samples behind the buckets. Rows of different series may interleave; within a series they should
 * ascend in time (a tier is read in timestamp order), and are sorted here when they do not. The columns
 * live in `workspace` (a fresh one unless the caller keeps one).
 */
export function m4FromBuckets(
  rows: BucketRows,
  seriesCount: number,
  grid: PixelGrid,
  workspace = new M4Workspace(),
): M4Columns[] {
  // Row numbers grouped by series (a counting sort, stable: a series keeps the tier's time order), so
  // each series is merged in one sequential pass. Merging the rows as they come, 100 tags interleaved,
  // wrote to a thousand arrays in turn and spent most of its time missing the cache.
  const bounds = new Int32Array(seriesCount + 1);
  for (let i = 0; i < rows.length; i += 1) {
    const series = rows.series[i]!;
    if (series >= 0 && series < seriesCount) bounds[series + 1]! += 1;
  }
  for (let series = 0; series < seriesCount; series += 1) bounds[series + 1]! += bounds[series]!;
  const grouped = new Int32Array(bounds[seriesCount]!);
  const next = bounds.slice(0, seriesCount);
  for (let i = 0; i < rows.length; i += 1) {
    const series = rows.series[i]!;
    if (series >= 0 && series < seriesCount) grouped[next[series]!++] = i;
  }
  const orders = Array.from({ length: seriesCount }, (_, series) =>
    grouped.subarray(bounds[series]!, bounds[series + 1]!),
  );
  const sizes = orders.map((order) => columnsOf(rows, order, grid));
  // One buffer for every series' columns: a thousand typed arrays each with its own backing store
  // cost more to allocate and collect than the merge itself.
  const buffer = workspace.take(M4_FIELDS * sizes.reduce((sum, size) => sum + size, 0));
  let offset = 0;
  return orders.map((order, series) => {
    const size = sizes[series]!;
    const columns = m4ColumnsIn(buffer, offset, size);
    offset += M4_FIELDS * size;
    mergeSeries(rows, order, grid, columns);
    return columns;
  });
}

/** Sorts one series' row numbers by time where they are not, and counts its pixel columns. */
function columnsOf(rows: BucketRows, order: Int32Array, grid: PixelGrid): number {
  let ascending = true;
  for (let k = 1; k < order.length && ascending; k += 1)
    ascending = rows.start[order[k - 1]!]! <= rows.start[order[k]!]!;
  if (!ascending) order.sort((a, b) => rows.start[a]! - rows.start[b]!);
  let size = 0;
  let current = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < order.length; k += 1) {
    const column = columnOf(rows.start[order[k]!]!, grid);
    if (column !== current) size += 1;
    current = column;
  }
  return size;
}

/** One series' buckets (`order`: its row numbers, in time order) merged into its pixel columns. */
function mergeSeries(rows: BucketRows, order: Int32Array, grid: PixelGrid, columns: M4Columns): void {
  let index = -1;
  let current = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < order.length; k += 1) {
    const i = order[k]!;
    const start = rows.start[i]!;
    const lastTime = rows.lastTime?.[i] ?? start;
    const column = columnOf(start, grid);
    if (column !== current) {
      current = column;
      index += 1;
      columns.column[index] = column;
      columns.times[index] = grid.originUs + column * grid.pixelUs;
      columns.firstTimes[index] = rows.firstTime?.[i] ?? start;
      columns.lastTimes[index] = lastTime;
      columns.min[index] = rows.min[i]!;
      columns.max[index] = rows.max[i]!;
      columns.first[index] = rows.first?.[i] ?? Number.NaN;
      columns.last[index] = rows.last[i]!;
      columns.sum[index] = rows.sum[i]!;
      columns.count[index] = rows.count[i]!;
      continue;
    }
    columns.lastTimes[index] = lastTime;
    if (rows.min[i]! < columns.min[index]!) columns.min[index] = rows.min[i]!;
    if (rows.max[i]! > columns.max[index]!) columns.max[index] = rows.max[i]!;
    columns.last[index] = rows.last[i]!;
    columns.sum[index]! += rows.sum[i]!;
    columns.count[index]! += rows.count[i]!;
  }
}

/**
 * The M4 answer as a polyline to draw: per column first, min, max, last, in time order within the
 * column. Where min and max sit inside a column does not change what the column draws.
 */
export function m4Points(columns: M4Columns): { times: EpochUs[]; values: number[] } {
  const times: EpochUs[] = [];
  const values: number[] = [];
  for (let i = 0; i < columns.column.length; i += 1) {
    const firstTime = epochUs(columns.firstTimes[i]!);
    const lastTime = epochUs(columns.lastTimes[i]!);
    times.push(firstTime, firstTime, lastTime, lastTime);
    values.push(columns.first[i]!, columns.min[i]!, columns.max[i]!, columns.last[i]!);
  }
  return { times, values };
}
