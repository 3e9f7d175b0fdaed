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
