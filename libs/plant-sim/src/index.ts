export {
  Prng,
  hash32,
  hashNormal,
  hashString,
  hashUniform,
  pickWeighted,
  seededRandom,
  smoothNoise,
} from './random.js';
export {
  ALLOYS,
  CROWN_ZONES,
  ENTRY_WIDTHS_MM,
  MP_COUNT,
  PLTCM_PREFIX,
  PLTCM_TAGS,
  STAND_COUNT,
  coilAt,
  coilByIndex,
  mpName,
  pltcmStateAt,
  pltcmValues,
  type AlloyCode,
  type Coil,
  type LineStatus,
  type PltcmOptions,
  type PltcmState,
  type PltcmTag,
  type StandState,
} from './pltcm.js';
export {
  SEGMENT_SECONDS,
  localTime,
  renderCoilFiles,
  type CoilFile,
  type CoilFileKind,
  type RenderOptions,
} from './pltcm-files.js';
export {
  CELL_MACHINES,
  CELL_PRODUCTS,
  CellLine,
  inspectionTopic,
  speedSetpointTag,
  type CellLineOptions,
  type CellLineOutput,
  type CellMachine,
  type CellOrder,
  type CellProduct,
  type CellSignal,
} from './cells.js';
export { HIGH_LOAD_PREFIX, HighLoadProfile, type HighLoadOptions, type HighLoadTick } from './high-load.js';
export { MesOrderFeed, type MesOrder } from './mes.js';
