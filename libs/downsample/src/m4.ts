import { epochUs, type EpochUs } from '@millrace/time';
import { columnOf, pixelGrid, type PixelGrid } from './plan.js';

/**
 * M4 aggregates of the non-empty pixel columns, as aligned columns (index `i` is one pixel column).
 * Min, max, first and last per column are what a line chart draws in that column, so drawing these
 * four points per column gives the same pixels as drawing every sample (Jugel et al., VLDB 2014).
 */
export interface M4Columns {
  /** Pixel column index on the grid. */
  readonly column: number[];
  /** Start of the column. */
  readonly times: EpochUs[];
  /** Time of the first and last sample in the column (for a rollup: the start of its first/last bucket). */
  readonly firstTimes: EpochUs[];
  readonly lastTimes: EpochUs[];
  readonly min: number[];
  readonly max: number[];
  readonly first: number[];
  readonly last: number[];
  readonly sum: number[];
  readonly count: number[];
}

export function emptyM4Columns(): M4Columns {
  return {
    column: [],
    times: [],
    firstTimes: [],
    lastTimes: [],
    min: [],
    max: [],
    first: [],
    last: [],
    sum: [],
    count: [],
  };
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
  const out = emptyM4Columns();
  let current = -1;
  let index = -1;
  for (let i = 0; i < times.length; i += 1) {
    const time = times[i]!;
    const value = values[i]!;
    if (time < fromUs || time >= toUs || Number.isNaN(value)) continue;
    const column = columnOf(time, grid);
    if (column !== current) {
      current = column;
      index += 1;
      out.column.push(column);
      out.times.push(epochUs(grid.originUs + column * grid.pixelUs));
      out.firstTimes.push(epochUs(time));
      out.lastTimes.push(epochUs(time));
      out.min.push(value);
      out.max.push(value);
      out.first.push(value);
      out.last.push(value);
      out.sum.push(value);
      out.count.push(1);
      continue;
    }
    out.lastTimes[index] = epochUs(time);
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
  readonly first: ArrayLike<number>;
  readonly last: ArrayLike<number>;
  readonly sum: ArrayLike<number>;
  readonly count: ArrayLike<number>;
}

/**
 * M4 per series from tier buckets on a grid whose columns are whole buckets ({@link planM4}): min of
 * mins, max of maxes, first of firsts, last of lasts per column, so the answer equals M4 over the raw
 * samples behind the buckets. Rows of different series may interleave; within a series they should
 * ascend in time (a tier is read in timestamp order), and are sorted here when they do not.
 */
export function m4FromBuckets(rows: BucketRows, seriesCount: number, grid: PixelGrid): M4Columns[] {
  const inRange = (series: number) => series >= 0 && series < seriesCount;
  const lastStart = new Array<number>(seriesCount).fill(Number.NEGATIVE_INFINITY);
  let ordered = true;
  for (let i = 0; i < rows.length && ordered; i += 1) {
    const series = rows.series[i]!;
    if (!inRange(series)) continue;
    if (rows.start[i]! < lastStart[series]!) ordered = false;
    lastStart[series] = rows.start[i]!;
  }
  const order = ordered ? undefined : sortedRows(rows);
  // Columns per series first, so each output array is allocated once at its size (a 100-tag answer
  // is 144k columns; growing arrays by push tripled what the collector had to move).
  const sizes = new Array<number>(seriesCount).fill(0);
  const currentColumn = new Array<number>(seriesCount).fill(Number.NEGATIVE_INFINITY);
  for (let k = 0; k < rows.length; k += 1) {
    const i = order === undefined ? k : order[k]!;
    const series = rows.series[i]!;
    if (!inRange(series)) continue;
    const column = columnOf(rows.start[i]!, grid);
    if (column !== currentColumn[series]) sizes[series]! += 1;
    currentColumn[series] = column;
  }
  const out = sizes.map(sizedM4Columns);
  const filled = new Array<number>(seriesCount).fill(0);
  currentColumn.fill(Number.NEGATIVE_INFINITY);
  for (let k = 0; k < rows.length; k += 1) {
    const i = order === undefined ? k : order[k]!;
    const series = rows.series[i]!;
    if (!inRange(series)) continue;
    const columns = out[series]!;
    const start = rows.start[i]!;
    const lastTime = epochUs(rows.lastTime?.[i] ?? start);
    const column = columnOf(start, grid);
    const count = rows.count[i]!;
    if (column !== currentColumn[series]) {
      currentColumn[series] = column;
      const index = filled[series]!;
      filled[series] = index + 1;
      columns.column[index] = column;
      columns.times[index] = epochUs(grid.originUs + column * grid.pixelUs);
      columns.firstTimes[index] = epochUs(rows.firstTime?.[i] ?? start);
      columns.lastTimes[index] = lastTime;
      columns.min[index] = rows.min[i]!;
      columns.max[index] = rows.max[i]!;
      columns.first[index] = rows.first[i]!;
      columns.last[index] = rows.last[i]!;
      columns.sum[index] = rows.sum[i]!;
      columns.count[index] = count;
      continue;
    }
    const index = filled[series]! - 1;
    columns.lastTimes[index] = lastTime;
    if (rows.min[i]! < columns.min[index]!) columns.min[index] = rows.min[i]!;
    if (rows.max[i]! > columns.max[index]!) columns.max[index] = rows.max[i]!;
    columns.last[index] = rows.last[i]!;
    columns.sum[index]! += rows.sum[i]!;
    columns.count[index]! += count;
  }
  return out;
}

function sizedM4Columns(size: number): M4Columns {
  const numbers = () => new Array<number>(size);
  const instants = () => new Array<EpochUs>(size);
  return {
    column: numbers(),
    times: instants(),
    firstTimes: instants(),
    lastTimes: instants(),
    min: numbers(),
    max: numbers(),
    first: numbers(),
    last: numbers(),
    sum: numbers(),
    count: numbers(),
  };
}

function sortedRows(rows: BucketRows): number[] {
  return Array.from({ length: rows.length }, (_, i) => i).sort(
    (a, b) => rows.series[a]! - rows.series[b]! || rows.start[a]! - rows.start[b]!,
  );
}

/**
 * The M4 answer as a polyline to draw: per column first, min, max, last, in time order within the
 * column. Where min and max sit inside a column does not change what the column draws.
 */
export function m4Points(columns: M4Columns): { times: EpochUs[]; values: number[] } {
  const times: EpochUs[] = [];
  const values: number[] = [];
  for (let i = 0; i < columns.column.length; i += 1) {
    const firstTime = columns.firstTimes[i]!;
    const lastTime = columns.lastTimes[i]!;
    times.push(firstTime, firstTime, lastTime, lastTime);
    values.push(columns.first[i]!, columns.min[i]!, columns.max[i]!, columns.last[i]!);
  }
  return { times, values };
}
