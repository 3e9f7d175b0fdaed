export { createLogger, type Logger } from './logger.js';
export { Health, type ReadinessCheck, type ReadinessReport } from './health.js';
export { Observability } from './observability.js';
export { ObservabilityModule } from './observability.module.js';
export { bootstrapService, runService, type RunningService, type ServiceDefinition } from './bootstrap.js';
export { serviceWorkerModule, type ServiceWorker } from './worker.module.js';
