import { inferenceConfigSchema } from '@millrace/config';
import { runService } from '@millrace/observability';
import { InferenceModule } from './inference.module.js';

runService({
  name: 'inference',
  schema: inferenceConfigSchema,
  port: (config) => config.INFERENCE_PORT,
  module: (config, observability) => InferenceModule.forRoot(config, observability),
});
