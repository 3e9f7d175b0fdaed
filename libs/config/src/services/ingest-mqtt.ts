import { z } from 'zod';
import { addressesShape } from '../addresses.js';
import { configField } from '../fields.js';

/**
 * services/ingest-mqtt. `INGEST_MQTT_RULES` is a JSON array of mapping rules (see
 * `mappingRulesSchema` in @millrace/mqtt-mapping, which the service checks it against at start-up);
 * unset, the demo plant's rules apply.
 */
export const ingestMqttConfigSchema = z.object({
  ...addressesShape,
  INGEST_MQTT_PORT: configField.port(8092),
  /** Fixed, so the broker finds this service's persistent session again; a random id loses it. */
  INGEST_MQTT_CLIENT_ID: configField.string('millrace-ingest-mqtt'),
  INGEST_MQTT_RULES: configField.json(),
  /** How long the broker keeps the session (subscriptions, queued QoS 1 messages) while we are away. */
  INGEST_MQTT_SESSION_EXPIRY_S: configField.integer(7 * 24 * 3600, 1, 0xffff_fffe),
  INGEST_MQTT_RECONNECT_PERIOD_MS: configField.integer(1_000, 100),
  /**
   * MQTT 5 Receive Maximum: unacknowledged QoS 1 messages the broker may send us at once. A PUBACK waits
   * until Kafka (or the spool) has the sample, so this window is what keeps a flush's worth in flight
   * (bench/ingest-mqtt: 30 000 with 10 000-sample batches, against 2 000 / 1 000 before, halved the CPU per sample).
   */
  INGEST_MQTT_RECEIVE_MAXIMUM: configField.integer(30_000, 1, 65_535),
  /** Samples wait at most this long to be sent together. */
  INGEST_MQTT_LINGER_MS: configField.integer(20, 0, 10_000),
  /** ...or until this many samples are waiting (at most 10 000, the cap of one sample batch). */
  INGEST_MQTT_BATCH_MAX_SAMPLES: configField.integer(10_000, 1, 10_000),
  /** Bound on the store-and-forward spool under `<MILLRACE_DATA_DIR>/spool/ingest-mqtt`. */
  SPOOL_MAX_BYTES: configField.spoolMaxBytes(),
});
export type IngestMqttConfig = z.infer<typeof ingestMqttConfigSchema>;
