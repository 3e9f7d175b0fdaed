import { queryApiConfigSchema } from '@millrace/config';
import { runService } from '@millrace/observability';
import { QueryApiModule } from './query-api.module.js';

runService({
  name: 'query-api',
  schema: queryApiConfigSchema,
  port: (config) => config.QUERY_API_PORT,
  module: (config, observability) => QueryApiModule.forRoot(config, observability),
});
