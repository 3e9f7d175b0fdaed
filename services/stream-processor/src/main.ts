import { streamProcessorConfigSchema } from '@millrace/config';
import { runService } from '@millrace/observability';
import { StreamProcessorModule } from './stream-processor.module.js';

runService({
  name: 'stream-processor',
  schema: streamProcessorConfigSchema,
  port: (config) => config.STREAM_PROCESSOR_PORT,
  module: (config, observability) => StreamProcessorModule.forRoot(config, observability),
});
