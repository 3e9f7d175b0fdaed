import type { InferenceConfig } from '@millrace/config';
import { serviceWorkerModule, type Observability } from '@millrace/observability';
import type { DynamicModule } from '@nestjs/common';
import { RiskInference } from './inference.js';

/** Starts scoring once the app is up; on shutdown stops the consumer (nothing half-sent is committed). */
export const InferenceModule = {
  forRoot(config: InferenceConfig, observability: Observability): DynamicModule {
    return serviceWorkerModule(RiskInference, () => new RiskInference(config, observability));
  },
};
