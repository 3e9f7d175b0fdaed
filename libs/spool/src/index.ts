/**
 * Store-and-forward for ingest services: keep accepting plant data while Kafka is unreachable.
 *
 * ```ts
 * const { queue, report } = DiskQueue.open({
 *   dir: join(config.MILLRACE_DATA_DIR, 'spool', 'ingest-opcua'),
 *   maxBytes: config.SPOOL_MAX_BYTES,
 * });
 * if (report.truncated.length > 0) logger.warn({ report }, 'spool had a torn tail (crash while writing)');
 * const producer = new PipelineProducer(kafka, 'ingest-opcua');
 * const publisher = new SpoolingPublisher({ producer, queue, logger, metrics: observability.metrics });
 * await publisher.start(); // resolves even when Kafka is down
 * await publisher.publish(TOPICS.samples, [{ key: batch.tag, value: batch }]); // 'sent' | 'spooled'
 * // shutdown: stop the source, await publisher.stop(), then producer.disconnect()
 * ```
 *
 * - {@link SpoolingPublisher.publish} resolves once the messages are safe (Kafka acks=all, or fsynced
 *   in the spool); acknowledge the source (MQTT PUBACK, OPC UA, file ledger) only then. It rejects
 *   with the encoder's `TypeError` for a message its topic's schema refuses, with
 *   {@link SpoolFullError} when the spool is at `maxBytes` (logged once per episode and counted in
 *   `millrace_spool_full_refusals_total`), or with Kafka's error when Kafka refused it for good.
 * - Order: publishes reach Kafka in call order, also across an outage and a restart of the service.
 *   Key samples by tag so one tag's batches share a partition.
 * - Metrics (label `spool`): `millrace_spool_records`, `millrace_spool_disk_bytes`,
 *   `millrace_spool_spooling`, `millrace_spool_full_refusals_total`,
 *   `millrace_spool_refused_messages_total`.
 * - Kafka-down detection is the producer's send failing after kafkajs's retries; a client built with
 *   a short `retry`/`requestTimeout` spools sooner. Publishes wait (in order) meanwhile.
 * - One spool directory per service process: {@link DiskQueue} has a single reader and no file lock.
 * - Batching before publishing: {@link SampleBatcher} (a fixed linger; ingest-opcua) and
 *   {@link ColumnBatcher} (a linger that grows while the previous flush is still in Kafka, and what the
 *   caller holds until a flush is safe, e.g. MQTT PUBACKs; ingest-mqtt). One of them should absorb the other.
 */
export { SpoolError, SpoolFullError } from './errors.js';
export {
  DiskQueue,
  type DiskQueueOpenReport,
  type DiskQueueOptions,
  type SpoolBatch,
  type SpoolPosition,
} from './disk-queue.js';
export { type RawMessage } from './record.js';
export {
  SpoolingPublisher,
  type KafkaSender,
  type PublishOutcome,
  type SpoolingPublisherOptions,
} from './spooling-publisher.js';
export { openStoreAndForward, type StoreAndForward } from './store-and-forward.js';
export { SampleBatcher, type SampleBatcherOptions, type SampleColumns } from './sample-batcher.js';
export {
  ColumnBatcher,
  type Flush,
  TagSlot,
  type ColumnBatcherOptions,
  type TagColumns,
} from './column-batcher.js';
