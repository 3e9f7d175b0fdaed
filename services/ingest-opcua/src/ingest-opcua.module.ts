import { join } from 'node:path';
import { ConfigError, type IngestOpcuaConfig } from '@millrace/config';
import { DEMO_PLANT_ENDPOINTS, endpointsSchema, type Endpoint } from '@millrace/opcua-mapping';
import { Observability } from '@millrace/observability';
import { IlpWriter } from '@millrace/questdb';
import { describeIssues } from '@millrace/schema';
import { openStoreAndForward, type StoreAndForward } from '@millrace/spool';
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
  private kafkaPath: StoreAndForward | undefined;
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
    this.kafkaPath = await openStoreAndForward({
      service: SERVICE,
      brokers: config.MILLRACE_KAFKA_BROKERS,
      dataDir: config.MILLRACE_DATA_DIR,
      maxBytes: config.SPOOL_MAX_BYTES,
      observability,
    });
    this.gapWriter = await IlpWriter.connect({ httpUrl: config.MILLRACE_QUESTDB_URL });
    const ingest = new OpcuaIngest({
      endpoints: this.endpoints,
      pkiDir: config.INGEST_OPCUA_PKI_DIR ?? join(config.MILLRACE_DATA_DIR, SERVICE, 'pki'),
      trustUnknownServers: config.INGEST_OPCUA_TRUST_UNKNOWN_SERVERS,
      publisher: this.kafkaPath.publisher,
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
      startupGraceMs: config.INGEST_OPCUA_STARTUP_GRACE_MS,
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
    await this.kafkaPath?.stop();
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
