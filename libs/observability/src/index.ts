export { createLogger, type Logger } from './logger.js';
export { Health, type ReadinessCheck, type ReadinessReport } from './health.js';
export { Observability } from './observability.js';
export { ObservabilityModule } from './observability.module.js';
