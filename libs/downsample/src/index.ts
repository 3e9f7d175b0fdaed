export {
  columnOf,
  MAX_ROWS_PER_COLUMN,
  pixelGrid,
  planM4,
  tierForInterval,
  type M4Plan,
  type PixelGrid,
  type Tier,
} from './plan.js';
export {
  emptyM4Columns,
  m4,
  m4FromBuckets,
  m4OnGrid,
  m4Points,
  M4Workspace,
  type BucketRows,
  type M4Columns,
} from './m4.js';
export { historianFrame, type EdgeSample, type FrameOptions, type SeriesFrame } from './frame.js';
