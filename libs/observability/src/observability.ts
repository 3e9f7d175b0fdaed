import type { LevelWithSilent } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Health } from './health.js';
import { createLogger, type Logger } from './logger.js';

/** What every service carries: its logger, its Prometheus registry and its readiness checks. */
export class Observability {
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly health = new Health();

  constructor(
    readonly service: string,
    options: { logLevel?: LevelWithSilent; defaultMetrics?: boolean } = {},
  ) {
    this.logger = createLogger(service, options.logLevel);
    this.metrics = new Registry();
    this.metrics.setDefaultLabels({ service });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.metrics });
  }
}
