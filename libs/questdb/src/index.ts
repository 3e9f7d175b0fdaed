export { QuestDbError } from './errors.js';
export { IlpWriter, type ColumnValue, type IlpWriterOptions, type Row } from './ilp.js';
export { QueryClient, type QueryClientOptions } from './query.js';
export { migrate, type MigrationResult } from './migrate.js';
