export { mergeAggregates, type WindowAggregate } from './aggregate.js';
export { RESOLUTION_US, RESOLUTIONS, windowEnd, windowStart, type Resolution } from './resolution.js';
export {
  TumblingWindows,
  type AddOutcome,
  type ResolutionStats,
  type RestoreOutcome,
  type TumblingWindowsOptions,
  type WindowingStats,
  type WindowUpdate,
} from './tumbling-windows.js';
export { TagStats, type TagCounts, type TagStatsRow } from './tag-stats.js';
