import { ingestFilesConfigSchema } from '@millrace/config';
import { runService } from '@millrace/observability';
import { IngestFilesModule } from './ingest-files.module.js';
import { SERVICE_NAME } from './runtime.js';

runService({
  name: SERVICE_NAME,
  schema: ingestFilesConfigSchema,
  port: (config) => config.INGEST_FILES_PORT,
  module: (config) => IngestFilesModule.forRoot(config),
});
