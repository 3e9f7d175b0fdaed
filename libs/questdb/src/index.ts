export { QuestDbError } from './errors.js';
export { IlpWriter, type IlpWriterOptions, type TableWrite } from './ilp.js';
export { LineEncoder, type ColumnValue, type Row } from './line-protocol.js';
export { QueryClient, type QueryClientOptions } from './query.js';
export type { ColumnarResult, TextColumn } from './pg-binary.js';
export { migrate, type MigrationResult } from './migrate.js';
