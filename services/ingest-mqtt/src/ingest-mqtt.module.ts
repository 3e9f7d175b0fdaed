import { ConfigError, type IngestMqttConfig } from '@millrace/config';
import { DEMO_PLANT_RULES, mappingRulesSchema, type MappingRules } from '@millrace/mqtt-mapping';
import { Observability } from '@millrace/observability';
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
import { MqttIngestor } from './ingestor.js';

const CONFIG = Symbol('ingest-mqtt config');
const RULES = Symbol('ingest-mqtt mapping rules');
const SERVICE = 'ingest-mqtt';

/** The configured rules, or the demo plant's; an invalid INGEST_MQTT_RULES stops start-up with its key. */
export function rulesFrom(config: Pick<IngestMqttConfig, 'INGEST_MQTT_RULES'>): MappingRules {
  if (config.INGEST_MQTT_RULES === undefined) return DEMO_PLANT_RULES;
  const parsed = mappingRulesSchema.safeParse(config.INGEST_MQTT_RULES);
  if (!parsed.success)
    throw new ConfigError([{ key: 'INGEST_MQTT_RULES', message: describeIssues(parsed.error) }]);
  return parsed.data;
}

@Injectable()
class IngestMqttRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private kafkaPath: StoreAndForward | undefined;
  private ingestor: MqttIngestor | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: IngestMqttConfig,
    @Inject(RULES) private readonly rules: MappingRules,
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
    this.ingestor = new MqttIngestor({
      mqttUrl: config.MILLRACE_MQTT_URL,
      clientId: config.INGEST_MQTT_CLIENT_ID,
      rules: this.rules,
      sessionExpiryS: config.INGEST_MQTT_SESSION_EXPIRY_S,
      reconnectPeriodMs: config.INGEST_MQTT_RECONNECT_PERIOD_MS,
      receiveMaximum: config.INGEST_MQTT_RECEIVE_MAXIMUM,
      lingerMs: config.INGEST_MQTT_LINGER_MS,
      batchMaxSamples: config.INGEST_MQTT_BATCH_MAX_SAMPLES,
      publisher: this.kafkaPath.publisher,
      producer: this.kafkaPath.producer,
      logger,
      metrics: observability.metrics,
    });
    const ingestor = this.ingestor;
    observability.health.register('mqtt', () => ingestor.connected);
    ingestor.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.ingestor?.stop();
    await this.kafkaPath?.stop();
  }
}

/** MQTT → Kafka ingest: rules from config, persistent QoS 1 session, store-and-forward spool. */
@Module({})
export class IngestMqttModule {
  /** Checks INGEST_MQTT_RULES here, before Nest starts, so a bad value stops start-up with its key. */
  static forRoot(config: IngestMqttConfig): DynamicModule {
    return {
      module: IngestMqttModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: RULES, useValue: rulesFrom(config) },
        IngestMqttRunner,
      ],
    };
  }
}
