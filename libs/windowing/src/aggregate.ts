import type { TagPath } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';
import type { Resolution } from './resolution.js';

/**
 * One tumbling window of one tag: the statistics of every sample with `start <= ts < start + width`.
 * `first` and `last` are by event time (the samples with the smallest and largest `ts`), not arrival
 * order; on a tie `first` keeps the earlier-seen sample and `last` the later-seen one. The mean is
 * `sum / count`.
 */
export interface WindowAggregate {
  readonly tag: TagPath;
  readonly resolution: Resolution;
  readonly start: EpochUs;
  readonly min: number;
  readonly max: number;
  readonly first: number;
  readonly last: number;
  readonly sum: number;
  readonly count: number;
  readonly firstTs: EpochUs;
  readonly lastTs: EpochUs;
}

/**
 * Combines two aggregates of the same window as if all their samples had been added to one. `a` counts
 * as seen before `b`, so on equal timestamps `first` comes from `a` and `last` from `b`. An aggregate
 * with `count` 0 is empty and yields the other. Throws a RangeError if they are not the same window.
 */
export function mergeAggregates(a: WindowAggregate, b: WindowAggregate): WindowAggregate {
  if (a.tag !== b.tag || a.resolution !== b.resolution || a.start !== b.start) {
    throw new RangeError(
      `cannot merge windows of different keys: ${a.tag} ${a.resolution} ${a.start} and ${b.tag} ${b.resolution} ${b.start}`,
    );
  }
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  const firstFromA = a.firstTs <= b.firstTs;
  const lastFromB = b.lastTs >= a.lastTs;
  return {
    tag: a.tag,
    resolution: a.resolution,
    start: a.start,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    first: firstFromA ? a.first : b.first,
    last: lastFromB ? b.last : a.last,
    sum: a.sum + b.sum,
    count: a.count + b.count,
    firstTs: firstFromA ? a.firstTs : b.firstTs,
    lastTs: lastFromB ? b.lastTs : a.lastTs,
  };
}
