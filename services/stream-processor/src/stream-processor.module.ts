import type { StreamProcessorConfig } from '@millrace/config';
import { serviceWorkerModule, type Observability } from '@millrace/observability';
import type { DynamicModule } from '@nestjs/common';
import { StreamProcessor } from './processor.js';

/** Starts the consumer groups once the app is up and stops them (committing nothing half-written) on shutdown. */
export const StreamProcessorModule = {
  forRoot(config: StreamProcessorConfig, observability: Observability): DynamicModule {
    return serviceWorkerModule(StreamProcessor, () => new StreamProcessor(config, observability));
  },
};
