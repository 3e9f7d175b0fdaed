import { ingestOpcuaConfigSchema } from '@millrace/config';
import { runService } from '@millrace/observability';
import { IngestOpcuaModule } from './ingest-opcua.module.js';

runService({
  name: 'ingest-opcua',
  schema: ingestOpcuaConfigSchema,
  port: (config) => config.INGEST_OPCUA_PORT,
  module: (config) => IngestOpcuaModule.forRoot(config),
});
