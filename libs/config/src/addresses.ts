import { configField } from './fields.js';

/** Default local addresses of the stack `millrace start` runs; see docs/operations.md. */
export const DEFAULT_ADDRESSES = {
  kafkaBrokers: '127.0.0.1:9092',
  questdbUrl: 'http://127.0.0.1:9000',
  questdbPgUrl: 'postgresql://admin:quest@127.0.0.1:8812/qdb',
  mqttUrl: 'mqtt://127.0.0.1:1883',
} as const;

/**
 * Where the plant's servers are. Every service's config schema spreads this shape, so one set of env
 * vars points the whole deployment at an existing Kafka cluster, QuestDB and MQTT broker.
 */
export const addressesShape = {
  MILLRACE_DATA_DIR: configField.string('.millrace'),
  MILLRACE_KAFKA_BROKERS: configField.hostPortList(DEFAULT_ADDRESSES.kafkaBrokers),
  MILLRACE_QUESTDB_URL: configField.url(DEFAULT_ADDRESSES.questdbUrl, ['http', 'https']),
  MILLRACE_QUESTDB_PG_URL: configField.url(DEFAULT_ADDRESSES.questdbPgUrl, ['postgres', 'postgresql']),
  MILLRACE_MQTT_URL: configField.url(DEFAULT_ADDRESSES.mqttUrl, ['mqtt', 'mqtts', 'tcp', 'ws', 'wss']),
  MILLRACE_LOG_LEVEL: configField.logLevel(),
};
