import { usToS, type EpochS, type EpochUs } from '@millrace/time';
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

/** Columns ready for uPlot: x in epoch seconds, `null` where the line must break. */
export interface SeriesFrame {
  readonly times: EpochS[];
  readonly min: (number | null)[];
  readonly max: (number | null)[];
  readonly avg: (number | null)[];
  readonly last: (number | null)[];
  readonly count: number[];
}

/**
 * Builds the frame a historian draws from M4 columns: edge samples on both sides, and a `null` point
 * wherever the silence between two samples is longer than `maxGapUs`, so no line is drawn across a
 * gap. A gap is measured as a lower bound (next first sample minus the end of the previous bucket),
 * so data that was continuous is never broken; a gap shorter than the tier's resolution is invisible.
 * No object per point: a 100-tag answer has 144k of them.
 */
export function historianFrame(columns: M4Columns, options: FrameOptions): SeriesFrame {
  // Sized for the usual answer (columns and up to three edge points) and trimmed at the end: growing
  // six arrays point by point allocated several times what they finally hold.
  const capacity = columns.column.length + 3;
  const frame = {
    times: new Array<EpochS>(capacity),
    min: new Array<number | null>(capacity),
    max: new Array<number | null>(capacity),
    avg: new Array<number | null>(capacity),
    last: new Array<number | null>(capacity),
    count: new Array<number>(capacity),
  };
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
    if (maxGapUs !== undefined && start - previousEnd > maxGapUs && x > previousX) {
      // uPlot breaks a line at a null value; its x must lie strictly between the two points.
      frame.times[size] = usToS(((previousX + x) / 2) as EpochUs);
      frame.min[size] = null;
      frame.max[size] = null;
      frame.avg[size] = null;
      frame.last[size] = null;
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
  for (const values of Object.values(frame)) values.length = size;
  return frame;
}
