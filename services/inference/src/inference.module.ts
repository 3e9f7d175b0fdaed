import type { InferenceConfig } from '@millrace/config';
import type { Observability } from '@millrace/observability';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { RiskInference } from './inference.js';

@Module({})
class InferenceLifecycle {}

/** Starts scoring once the app is up; on shutdown stops the consumer (nothing half-sent is committed). */
@Injectable()
class InferenceRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(RiskInference) private readonly inference: RiskInference) {}

  onApplicationBootstrap(): Promise<void> {
    return this.inference.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.inference.stop();
  }
}

export const InferenceModule = {
  forRoot(config: InferenceConfig, observability: Observability): DynamicModule {
    return {
      module: InferenceLifecycle,
      providers: [
        { provide: RiskInference, useFactory: () => new RiskInference(config, observability) },
        { provide: InferenceRunner, useClass: InferenceRunner },
      ],
    };
  },
};
