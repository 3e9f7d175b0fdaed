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

interface Entry {
  x: EpochUs;
  start: number;
  end: number;
  min: number;
  max: number;
  avg: number;
  last: number;
  count: number;
}

/**
 * Builds the frame a historian draws from M4 columns: edge samples on both sides, and a `null` point
 * wherever the silence between two samples is longer than `maxGapUs`, so no line is drawn across a
 * gap. A gap is measured as a lower bound (next first sample minus the end of the previous bucket),
 * so data that was continuous is never broken; a gap shorter than the tier's resolution is invisible.
 */
export function historianFrame(columns: M4Columns, options: FrameOptions): SeriesFrame {
  const entries: Entry[] = [];
  const edge = (sample: EdgeSample): Entry => ({
    x: sample.time,
    start: sample.time,
    end: sample.time,
    min: sample.value,
    max: sample.value,
    avg: sample.value,
    last: sample.value,
    count: 1,
  });
  if (options.before) entries.push(edge(options.before));
  for (let i = 0; i < columns.column.length; i += 1) {
    const count = columns.count[i]!;
    entries.push({
      x: columns.times[i]!,
      start: columns.firstTimes[i]!,
      end: columns.lastTimes[i]! + options.resolutionUs,
      min: columns.min[i]!,
      max: columns.max[i]!,
      avg: count > 0 ? columns.sum[i]! / count : columns.last[i]!,
      last: columns.last[i]!,
      count,
    });
  }
  const tail = entries[entries.length - 1];
  if (options.after) {
    entries.push(edge(options.after));
  } else if (tail && options.holdUntil !== undefined && options.holdUntil > tail.x) {
    const silentUs = options.holdUntil - tail.end;
    if (options.maxGapUs === undefined || silentUs <= options.maxGapUs)
      entries.push({ ...edge({ time: options.holdUntil, value: tail.last }), count: 0 });
  }

  const frame: SeriesFrame = { times: [], min: [], max: [], avg: [], last: [], count: [] };
  let previous: Entry | undefined;
  for (const entry of entries) {
    if (
      previous !== undefined &&
      options.maxGapUs !== undefined &&
      entry.start - previous.end > options.maxGapUs &&
      entry.x > previous.x
    ) {
      // uPlot breaks a line at a null value; its x must lie strictly between the two points.
      pushPoint(frame, usToS(((previous.x + entry.x) / 2) as EpochUs), null);
    }
    pushPoint(frame, usToS(entry.x), entry);
    previous = entry;
  }
  return frame;
}

function pushPoint(frame: SeriesFrame, x: EpochS, entry: Entry | null): void {
  frame.times.push(x);
  frame.min.push(entry?.min ?? null);
  frame.max.push(entry?.max ?? null);
  frame.avg.push(entry?.avg ?? null);
  frame.last.push(entry?.last ?? null);
  frame.count.push(entry?.count ?? 0);
}
