import { join } from 'node:path';
import { createKafka, PipelineProducer, STORE_AND_FORWARD_RETRY } from '@millrace/kafka';
import type { Observability } from '@millrace/observability';
import { DiskQueue } from './disk-queue.js';
import { SpoolingPublisher } from './spooling-publisher.js';

/** An ingest service's way into Kafka: an idempotent producer behind a disk spool. */
export interface StoreAndForward {
  producer: PipelineProducer;
  publisher: SpoolingPublisher;
  /** Stops draining and disconnects; what is still spooled stays on disk for the next start. */
  stop(): Promise<void>;
}

/**
 * Opens `<dataDir>/spool/<service>` and a producer whose sends give up quickly
 * ({@link STORE_AND_FORWARD_RETRY}), so an outage hands over to the spool within seconds. A spool
 * repaired after a crash (a torn last record cut off) is logged.
 */
export async function openStoreAndForward(options: {
  service: string;
  brokers: readonly string[];
  dataDir: string;
  maxBytes: number;
  observability: Observability;
}): Promise<StoreAndForward> {
  const { logger, metrics } = options.observability;
  const kafka = createKafka({
    brokers: options.brokers,
    clientId: options.service,
    logger,
    retry: STORE_AND_FORWARD_RETRY,
  });
  const producer = new PipelineProducer(kafka, options.service);
  const { queue, report } = DiskQueue.open({
    dir: join(options.dataDir, 'spool', options.service),
    maxBytes: options.maxBytes,
  });
  if (report.truncated.length > 0 || report.cursorReset) {
    logger.warn({ report }, 'spool repaired at start-up (the service stopped while writing)');
  }
  const publisher = new SpoolingPublisher({ producer, queue, logger, metrics });
  await publisher.start();
  return {
    producer,
    publisher,
    async stop() {
      await publisher.stop();
      await producer.disconnect();
    },
  };
}
