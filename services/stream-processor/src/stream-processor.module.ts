import type { StreamProcessorConfig } from '@millrace/config';
import type { Observability } from '@millrace/observability';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { StreamProcessor } from './processor.js';

@Module({})
class ProcessorLifecycle {}

/** Starts the consumer groups once the app is up and stops them (committing nothing half-written) on shutdown. */
@Injectable()
class ProcessorRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(StreamProcessor) private readonly processor: StreamProcessor) {}

  onApplicationBootstrap(): Promise<void> {
    return this.processor.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.processor.stop();
  }
}

export const StreamProcessorModule = {
  forRoot(config: StreamProcessorConfig, observability: Observability): DynamicModule {
    return {
      module: ProcessorLifecycle,
      providers: [
        { provide: StreamProcessor, useFactory: () => new StreamProcessor(config, observability) },
        { provide: ProcessorRunner, useClass: ProcessorRunner },
      ],
    };
  },
};
