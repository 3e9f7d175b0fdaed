import type { Logger } from '@millrace/observability';
import { decodeMessage, type MessageOf, type TopicSpec } from '@millrace/schema';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isRetriable } from './errors.js';
import type { PipelineProducer, RefusedMessage } from './producer.js';

export interface ConsumedMessage<T> {
  value: T;
  key: string | null;
  partition: number;
  offset: string;
  /** Kafka's timestamp of the message, milliseconds since the epoch. */
  timestampMs: number;
  raw: KafkaMessage;
}

export interface BatchContext {
  topic: string;
  partition: number;
  /** Call during long work so the group does not evict this member (KIP-62). */
  heartbeat: () => Promise<void>;
}

/** A handler may refuse single messages (e.g. a value of the wrong type for its tag); they go to the DLQ. */
export interface BatchOutcome<T> {
  rejected?: readonly { message: ConsumedMessage<T>; reason: string }[];
}

export type BatchHandler<T> = (
  messages: readonly ConsumedMessage<T>[],
  context: BatchContext,
) => Promise<BatchOutcome<T> | void>;

export interface ConsumerRunnerOptions<Spec extends TopicSpec> {
  kafka: Kafka;
  groupId: string;
  spec: Spec;
  handler: BatchHandler<MessageOf<Spec>>;
  /** Sends dead letters; the runner does not own its connection. */
  producer: PipelineProducer;
  logger: Logger;
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  /** Largest fetch per partition (kafkajs default 1 MiB): bounds a batch, and so the memory a held batch takes. */
  maxBytesPerPartition?: number;
  /** Tries of a handler failure that is not retriable before its batch is dead-lettered. */
  maxAttempts?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  onBatchDone?: (stats: {
    partition: number;
    messages: number;
    /** Keys of the messages sent to the dead-letter topic (a key says what a message was about, e.g. its tag). */
    deadLetteredKeys: readonly (string | null)[];
    lastOffset: string;
  }) => void;
}

export interface ConsumerRunner {
  readonly consumer: Consumer;
  stop(): Promise<void>;
}

/**
 * Runs a consumer group over one topic with eachBatch and explicit commits: a batch's offsets are
 * committed only after the handler resolved and every refused message is on the dead-letter topic,
 * so a crash re-delivers rather than loses. A retriable handler failure (a store down) is retried
 * with backoff for as long as it takes, heartbeating, which holds back this partition and so bounds
 * memory; any other failure is retried `maxAttempts` times, then the batch goes to the DLQ.
 */
export async function runConsumer<Spec extends TopicSpec>(
  options: ConsumerRunnerOptions<Spec>,
): Promise<ConsumerRunner> {
  const { spec, handler, producer, logger } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryInitialMs = options.retryInitialMs ?? 200;
  const retryMaxMs = options.retryMaxMs ?? 10_000;
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    ...(options.maxBytesPerPartition === undefined
      ? {}
      : { maxBytesPerPartition: options.maxBytesPerPartition }),
  });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.name, fromBeginning: options.fromBeginning ?? true });

  async function eachBatch({
    batch,
    heartbeat,
    isRunning,
    isStale,
    resolveOffset,
  }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const valid: ConsumedMessage<MessageOf<Spec>>[] = [];
    const refused: { message: RefusedMessage; reason: string }[] = [];
    for (const raw of batch.messages) {
      const decoded = decodeMessage(spec, raw.value);
      if (decoded.ok) {
        valid.push({
          value: decoded.value,
          key: raw.key?.toString('utf8') ?? null,
          partition: batch.partition,
          offset: raw.offset,
          timestampMs: Number(raw.timestamp),
          raw,
        });
      } else {
        refused.push({ message: refusedFrom(raw, batch.partition), reason: decoded.reason });
      }
    }

    const context: BatchContext = { topic: batch.topic, partition: batch.partition, heartbeat };
    for (let attempt = 1; valid.length > 0; attempt += 1) {
      try {
        const outcome = await handler(valid, context);
        for (const { message, reason } of outcome?.rejected ?? []) {
          refused.push({ message: refusedFrom(message.raw, batch.partition), reason });
        }
        break;
      } catch (error) {
        if (!isRunning() || isStale()) return; // shutting down or rebalanced: uncommitted, so re-delivered
        const retriable = isRetriable(error);
        if (!retriable && attempt >= maxAttempts) {
          const reason = `handler failed ${attempt} times: ${(error as Error).message}`;
          logger.error(
            { err: error, topic: batch.topic, partition: batch.partition },
            'dead-lettering batch',
          );
          refused.push(
            ...valid.map((message) => ({ message: refusedFrom(message.raw, batch.partition), reason })),
          );
          break;
        }
        const delayMs = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(attempt - 1, 16));
        logger.warn(
          { err: error, topic: batch.topic, partition: batch.partition, attempt, delayMs, retriable },
          'batch handler failed; retrying',
        );
        await sleepWithHeartbeat(delayMs, heartbeat);
      }
    }

    await producer.deadLetter(spec, refused);
    const lastOffset = batch.lastOffset();
    // Resolving moves this member's fetch position; committing makes it survive a restart.
    resolveOffset(lastOffset);
    await consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() },
    ]);
    options.onBatchDone?.({
      partition: batch.partition,
      messages: batch.messages.length,
      deadLetteredKeys: refused.map(({ message }) => message.key?.toString('utf8') ?? null),
      lastOffset,
    });
  }

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
    eachBatch,
  });

  return {
    consumer,
    stop: () => consumer.disconnect(),
  };
}

function refusedFrom(raw: KafkaMessage, partition: number): RefusedMessage {
  return {
    key: raw.key ?? null,
    value: raw.value ?? null,
    ...(raw.headers ? { headers: raw.headers } : {}),
    partition,
    offset: raw.offset,
  };
}

async function sleepWithHeartbeat(totalMs: number, heartbeat: () => Promise<void>): Promise<void> {
  const stepMs = 1_000;
  for (let waited = 0; waited < totalMs; waited += stepMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(stepMs, totalMs - waited)));
    await heartbeat().catch(() => undefined); // a failed heartbeat shows up as isStale() on the next try
  }
}
