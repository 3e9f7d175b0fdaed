import { join } from 'node:path';
import { ConfigError, type IngestOpcuaConfig } from '@millrace/config';
import { createKafka, PipelineProducer, STORE_AND_FORWARD_RETRY } from '@millrace/kafka';
import { DEMO_PLANT_ENDPOINTS, endpointsSchema, type Endpoint } from '@millrace/opcua-mapping';
import { Observability } from '@millrace/observability';
import { IlpWriter } from '@millrace/questdb';
import { describeIssues } from '@millrace/schema';
import { DiskQueue, SpoolingPublisher } from '@millrace/spool';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { OpcuaIngest } from './opcua-ingest.js';

const CONFIG = Symbol('ingest-opcua config');
const ENDPOINTS = Symbol('ingest-opcua endpoints');
const SERVICE = 'ingest-opcua';

/** The configured endpoints, or the demo plant's; an invalid INGEST_OPCUA_ENDPOINTS stops start-up with its key. */
export function endpointsFrom(
  config: Pick<
    IngestOpcuaConfig,
    'INGEST_OPCUA_ENDPOINTS' | 'INGEST_OPCUA_RECONNECT_INITIAL_MS' | 'INGEST_OPCUA_RECONNECT_MAX_MS'
  >,
): readonly Endpoint[] {
  if (config.INGEST_OPCUA_RECONNECT_INITIAL_MS > config.INGEST_OPCUA_RECONNECT_MAX_MS) {
    throw new ConfigError([
      { key: 'INGEST_OPCUA_RECONNECT_INITIAL_MS', message: 'must not exceed INGEST_OPCUA_RECONNECT_MAX_MS' },
    ]);
  }
  if (config.INGEST_OPCUA_ENDPOINTS === undefined) return DEMO_PLANT_ENDPOINTS;
  const parsed = endpointsSchema.safeParse(config.INGEST_OPCUA_ENDPOINTS);
  if (!parsed.success)
    throw new ConfigError([{ key: 'INGEST_OPCUA_ENDPOINTS', message: describeIssues(parsed.error) }]);
  return parsed.data;
}

@Injectable()
class IngestOpcuaRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private producer: PipelineProducer | undefined;
  private publisher: SpoolingPublisher | undefined;
  private gapWriter: IlpWriter | undefined;
  private ingest: OpcuaIngest | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: IngestOpcuaConfig,
    @Inject(ENDPOINTS) private readonly endpoints: readonly Endpoint[],
    @Inject(Observability) private readonly observability: Observability,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { config, observability } = this;
    const logger = observability.logger;
    const kafka = createKafka({
      brokers: config.MILLRACE_KAFKA_BROKERS,
      clientId: SERVICE,
      logger,
      retry: STORE_AND_FORWARD_RETRY,
    });
    this.producer = new PipelineProducer(kafka, SERVICE);
    const { queue, report } = DiskQueue.open({
      dir: join(config.MILLRACE_DATA_DIR, 'spool', SERVICE),
      maxBytes: config.SPOOL_MAX_BYTES,
    });
    if (report.truncated.length > 0 || report.cursorReset) {
      logger.warn({ report }, 'spool repaired at start-up (the service stopped while writing)');
    }
    this.publisher = new SpoolingPublisher({
      producer: this.producer,
      queue,
      logger,
      metrics: observability.metrics,
    });
    await this.publisher.start();
    this.gapWriter = await IlpWriter.connect({ httpUrl: config.MILLRACE_QUESTDB_URL });
    const ingest = new OpcuaIngest({
      endpoints: this.endpoints,
      pkiDir: config.INGEST_OPCUA_PKI_DIR ?? join(config.MILLRACE_DATA_DIR, SERVICE, 'pki'),
      trustUnknownServers: config.INGEST_OPCUA_TRUST_UNKNOWN_SERVERS,
      publisher: this.publisher,
      gapWriter: this.gapWriter,
      logger,
      metrics: observability.metrics,
      lingerMs: config.INGEST_OPCUA_LINGER_MS,
      batchMaxSamples: config.INGEST_OPCUA_BATCH_MAX_SAMPLES,
      reconnect: {
        initialMs: config.INGEST_OPCUA_RECONNECT_INITIAL_MS,
        maxMs: config.INGEST_OPCUA_RECONNECT_MAX_MS,
      },
      connectTimeoutMs: config.INGEST_OPCUA_CONNECT_TIMEOUT_MS,
      silenceTimeoutMs: config.INGEST_OPCUA_SILENCE_TIMEOUT_MS,
    });
    this.ingest = ingest;
    // Ready while at least one endpoint delivers: one endpoint down must not take the others out of service.
    observability.health.register('opcua', () =>
      ingest.endpoints.some((endpoint) => endpoint.state === 'up'),
    );
    await ingest.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.ingest?.stop();
    await this.publisher?.stop();
    await this.producer?.disconnect();
    await this.gapWriter?.close();
  }
}

/** OPC UA → Kafka ingest: endpoints from config, one self-healing session each, store-and-forward spool. */
@Module({})
export class IngestOpcuaModule {
  /** Checks INGEST_OPCUA_ENDPOINTS here, before Nest starts, so a bad value stops start-up with its key. */
  static forRoot(config: IngestOpcuaConfig): DynamicModule {
    return {
      module: IngestOpcuaModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: ENDPOINTS, useValue: endpointsFrom(config) },
        IngestOpcuaRunner,
      ],
    };
  }
}
