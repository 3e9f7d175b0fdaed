export { TimeRangeError } from './errors.js';
export { parseInterval, type Interval } from './interval.js';
export {
  parseTimeExpression,
  resolveTimeRange,
  zoneOffsetsMs,
  type ResolveOptions,
  type TimeRange,
} from './timerange.js';
