import { randomUUID } from 'node:crypto';
import type { Logger } from '@millrace/observability';
import type { WindowCache } from '@millrace/risk-model';
import { decodeMessage, type TOPICS } from '@millrace/schema';
import type { Consumer, Kafka } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';

/**
 * Tails `plant.samples.v1` into the window cache. Not a pipeline consumer (libs/kafka `runConsumer`): it
 * commits nothing and writes nothing, so it has no retries or dead letters to manage. Each process
 * takes its own throwaway group, as every instance needs every line's samples; with no committed offset
 * the group starts at the end of the topic, and the cache holds only what it saw from then on.
 * Messages are filtered on their key (the tag path) before decoding: the features need six tags per
 * line out of the whole plant's.
 */
export class WindowFeed {
  private consumer: Consumer | undefined;
  private readonly batches: Counter;
  private readonly refused: Counter;

  constructor(
    private readonly kafka: Kafka,
    private readonly spec: typeof TOPICS.samples,
    private readonly groupPrefix: string,
    private readonly cache: WindowCache,
    /** Which tags to hold; swapped when a model with another tag prefix is promoted. */
    private readonly wanted: () => (tag: string) => boolean,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.batches = new Counter({
      name: 'millrace_inference_window_feed_batches_total',
      help: 'plant.samples.v1 batches of feature tags taken into the window cache',
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'millrace_inference_window_feed_refused_total',
      help: 'plant.samples.v1 batches of feature tags the schema refused (the stream processor dead-letters them)',
      registers: [registry],
    });
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `${this.groupPrefix}-windows-${randomUUID()}`,
      allowAutoTopicCreation: false,
    });
    // Partitions handed out again start at the end (nothing is committed): samples may be missed, so
    // nothing held before can be trusted to be complete.
    consumer.on(consumer.events.GROUP_JOIN, () => this.cache.reset());
    await consumer.connect();
    await consumer.subscribe({ topic: this.spec.name, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const wanted = this.wanted();
        for (const message of batch.messages) {
          // A batch without a key is not routable by tag; the stream processor still stores it.
          const key = message.key?.toString('utf8');
          if (key === undefined || !wanted(key)) continue;
          const decoded = decodeMessage(this.spec, message.value);
          if (!decoded.ok) {
            this.refused.inc();
            continue;
          }
          if (!wanted(decoded.value.tag)) continue;
          this.cache.addBatch(decoded.value);
          this.batches.inc();
        }
      },
    });
    this.consumer = consumer;
    this.logger.info({ topic: this.spec.name }, 'window cache following machine samples');
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
