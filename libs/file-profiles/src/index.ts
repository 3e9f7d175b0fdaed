export { FileProfileError } from './errors.js';
export { parseDecimal, parseDecimalCell, type DecimalSeparator } from './numbers.js';
export { compileTimestampParser, type ParsedTimestamp, type TimestampParser } from './timestamps.js';
export {
  createProfileMatcher,
  entityKeyFromFileName,
  fileProfileSchema,
  fileProfilesSchema,
  isTemporaryFileName,
  parseProfiles,
  type FileProfile,
  type FileProfileInput,
  type RecordSpec,
} from './profile.js';
export { DEFAULT_PROFILE_INPUTS, DEFAULT_PROFILES } from './defaults.js';
export {
  compileFileMapping,
  readHeader,
  type FileContext,
  type FileMapping,
  type HeaderColumn,
  type MappedRow,
  type RecordInput,
  type RowResult,
  type SampleBatchInput,
} from './mapping.js';
export { ChunkBuilder, MAX_SAMPLES_PER_BATCH, type ChunkMessages, type EncodedMessage } from './chunk.js';
export {
  CsvReader,
  MAX_RECORD_BYTES,
  textCells,
  type CsvCells,
  type CsvDialect,
  type CsvStep,
} from './csv.js';
export { readChunks, type BadRow, type FileChunk, type ReadChunksOptions } from './file-chunks.js';
export { FileChunkReader } from './chunk-reader.js';
