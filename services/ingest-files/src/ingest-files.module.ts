import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { IngestFilesConfig } from '@millrace/config';
import { Observability } from '@millrace/observability';
import { Counter } from 'prom-client';
import { DropFolder } from './drop-folder.js';
import type { IngestOutcome } from './ingestor.js';
import { createRuntime, dropDirOf, type IngestRuntime } from './runtime.js';

export const CONFIG_TOKEN = Symbol('IngestFilesConfig');

/** Connects the producer (retrying while Kafka is away) and runs the drop folder. */
@Injectable()
class IngestFilesWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private runtime: IngestRuntime | undefined;
  private folder: DropFolder | undefined;
  private connected = false;
  private stopping = false;

  constructor(
    @Inject(CONFIG_TOKEN) private readonly config: IngestFilesConfig,
    @Inject(Observability) private readonly observability: Observability,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { logger, metrics, health } = this.observability;
    const files = new Counter({
      name: 'ingest_files_files_total',
      help: 'Files handled, by outcome',
      labelNames: ['outcome', 'profile'],
      registers: [metrics],
    });
    const rows = new Counter({
      name: 'ingest_files_rows_total',
      help: 'Good rows sent',
      labelNames: ['profile'],
      registers: [metrics],
    });
    const badRows = new Counter({
      name: 'ingest_files_bad_rows_total',
      help: 'Rows sent to the DLQ',
      labelNames: ['profile'],
      registers: [metrics],
    });
    const runtime = createRuntime(this.config, logger);
    this.runtime = runtime;
    health.register('kafka', () => this.connected);
    const dir = dropDirOf(this.config);
    this.folder = new DropFolder({
      dir,
      ingestor: runtime.ingestor,
      logger,
      rescanIntervalMs: this.config.INGEST_FILES_RESCAN_INTERVAL_MS,
      onOutcome: (_name, outcome: IngestOutcome) => {
        const profile = 'profile' in outcome ? outcome.profile : '';
        files.inc({ outcome: outcome.status, profile });
        if (outcome.status === 'ingested') {
          rows.inc({ profile }, outcome.rows);
          badRows.inc({ profile }, outcome.badRows);
        }
      },
    });
    void this.connectThenWatch(dir);
  }

  private async connectThenWatch(dir: string): Promise<void> {
    const { logger } = this.observability;
    for (let attempt = 0; !this.stopping; attempt += 1) {
      try {
        await this.runtime?.connect();
        this.connected = true;
        break;
      } catch (error) {
        const waitMs = Math.min(this.config.INGEST_FILES_RETRY_MAX_MS, 500 * 2 ** Math.min(attempt, 10));
        logger.warn({ err: (error as Error).message, waitMs }, 'cannot connect to Kafka; retrying');
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
    if (this.stopping) return;
    await this.folder?.start();
    logger.info({ dir }, 'watching the drop folder');
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.folder?.stop();
    await this.runtime?.producer.disconnect().catch(() => undefined);
    this.runtime?.ledger.close();
  }
}

@Module({})
export class IngestFilesModule {
  static forRoot(config: IngestFilesConfig): DynamicModule {
    return {
      module: IngestFilesModule,
      providers: [{ provide: CONFIG_TOKEN, useValue: config }, IngestFilesWorker],
    };
  }
}
