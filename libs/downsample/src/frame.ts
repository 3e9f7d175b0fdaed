import { usToS, type EpochUs } from '@millrace/time';
import type { M4Columns } from './m4.js';

/** One raw sample, e.g. the last before a range or the first after it. */
export interface EdgeSample {
  readonly time: EpochUs;
  readonly value: number;
}

export interface FrameOptions {
  /** Resolution of the tier the columns came from (0 for raw): a bucket's samples may lie anywhere in it. */
  readonly resolutionUs: number;
  /** A silence longer than this between two samples is drawn as a break; undefined: never break. */
  readonly maxGapUs: number | undefined;
  /** The last sample before the range, so a line enters the chart from the left edge. */
  readonly before?: EdgeSample | undefined;
  /** The first sample after the range, so a line leaves the chart at the right edge. */
  readonly after?: EdgeSample | undefined;
  /**
   * With no sample after the range, hold the last value flat until here (the end of the range, or now
   * if that is earlier), unless that silence is itself a gap: a tag that last changed three days ago
   * draws flat across the window, as a historian draws it.
   */
  readonly holdUntil?: EpochUs | undefined;
}

/**
 * Columns ready for uPlot: x in epoch seconds; in min, max, avg and last a NaN where the line must
 * break (a JSON answer writes it as `null`, the binary one keeps the NaN).
 */
export interface SeriesFrame {
  readonly times: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly avg: Float64Array;
  readonly last: Float64Array;
  readonly count: Float64Array;
}

/**
 * Builds the frame a historian draws from M4 columns: edge samples on both sides, and a break (NaN) point
 * wherever the silence between two samples is longer than `maxGapUs`, so no line is drawn across a
 * gap. A gap is measured as a lower bound (next first sample minus the end of the previous bucket),
 * so data that was continuous is never broken; a gap shorter than the tier's resolution is invisible.
 * No object per point: a 100-tag answer has 144k of them.
 */
export function historianFrame(columns: M4Columns, options: FrameOptions): SeriesFrame {
  // Room for the columns, three edge points and a break, grown only when there are more breaks.
  let frame = sizedFrame(columns.column.length + 4);
  let size = 0;
  const maxGapUs = options.maxGapUs;
  // The previous point: its x, the end of its data (for the gap rule) and its last value.
  let previousX = Number.NaN;
  let previousEnd = Number.NaN;
  let previousLast = Number.NaN;
  const point = (
    x: number,
    start: number,
    end: number,
    min: number,
    max: number,
    avg: number,
    last: number,
    count: number,
  ) => {
    if (size + 2 > frame.times.length) frame = grownFrame(frame, size);
    if (maxGapUs !== undefined && start - previousEnd > maxGapUs && x > previousX) {
      // uPlot breaks a line at a null value (a NaN here); its x must lie strictly between the two points.
      frame.times[size] = usToS(((previousX + x) / 2) as EpochUs);
      frame.min[size] = Number.NaN;
      frame.max[size] = Number.NaN;
      frame.avg[size] = Number.NaN;
      frame.last[size] = Number.NaN;
      frame.count[size] = 0;
      size += 1;
    }
    frame.times[size] = usToS(x as EpochUs);
    frame.min[size] = min;
    frame.max[size] = max;
    frame.avg[size] = avg;
    frame.last[size] = last;
    frame.count[size] = count;
    size += 1;
    previousX = x;
    previousEnd = end;
    previousLast = last;
  };
  const edge = (sample: EdgeSample) =>
    point(sample.time, sample.time, sample.time, sample.value, sample.value, sample.value, sample.value, 1);

  if (options.before) edge(options.before);
  for (let i = 0; i < columns.column.length; i += 1) {
    const count = columns.count[i]!;
    point(
      columns.times[i]!,
      columns.firstTimes[i]!,
      columns.lastTimes[i]! + options.resolutionUs,
      columns.min[i]!,
      columns.max[i]!,
      count > 0 ? columns.sum[i]! / count : columns.last[i]!,
      columns.last[i]!,
      count,
    );
  }
  if (options.after) {
    edge(options.after);
  } else if (size > 0 && options.holdUntil !== undefined && options.holdUntil > previousX) {
    const silentUs = options.holdUntil - previousEnd;
    if (maxGapUs === undefined || silentUs <= maxGapUs) {
      const hold = options.holdUntil;
      point(hold, hold, hold, previousLast, previousLast, previousLast, previousLast, 0);
    }
  }
  return {
    times: frame.times.subarray(0, size),
    min: frame.min.subarray(0, size),
    max: frame.max.subarray(0, size),
    avg: frame.avg.subarray(0, size),
    last: frame.last.subarray(0, size),
    count: frame.count.subarray(0, size),
  };
}

/** Six columns in one buffer: one backing store per series, not six. */
function sizedFrame(capacity: number): SeriesFrame {
  const buffer = new Float64Array(6 * capacity);
  const at = (field: number) => buffer.subarray(field * capacity, (field + 1) * capacity);
  return { times: at(0), min: at(1), max: at(2), avg: at(3), last: at(4), count: at(5) };
}

function grownFrame(frame: SeriesFrame, size: number): SeriesFrame {
  const grown = sizedFrame(2 * frame.times.length);
  for (const field of ['times', 'min', 'max', 'avg', 'last', 'count'] as const)
    grown[field].set(frame[field].subarray(0, size));
  return grown;
}
