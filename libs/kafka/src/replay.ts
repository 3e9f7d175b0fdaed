import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { KafkaPipelineError } from './errors.js';

/** The offsets `[start, end)` of one partition that hold messages with timestamps in `[from, to)`. */
export interface PartitionRange {
  partition: number;
  start: string;
  end: string;
}

/** Finds each partition's offsets for a time range from the broker's time index (ListOffsets, KIP-79). */
export async function offsetRangesForTimes(
  kafka: Kafka,
  topic: string,
  fromMs: number,
  toMs: number,
): Promise<PartitionRange[]> {
  if (!(fromMs < toMs)) throw new KafkaPipelineError(`replay: from must be before to`, false, { topic });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [starts, ends] = await Promise.all([
      admin.fetchTopicOffsetsByTimestamp(topic, fromMs),
      admin.fetchTopicOffsetsByTimestamp(topic, toMs),
    ]);
    return starts
      .map(({ partition, offset }) => ({
        partition,
        start: offset,
        end: ends.find((end) => end.partition === partition)?.offset ?? offset,
      }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

export function rangeSize(ranges: readonly PartitionRange[]): number {
  return ranges.reduce((sum, range) => sum + Math.max(0, Number(range.end) - Number(range.start)), 0);
}

/**
 * Reads exactly the messages in `ranges` and hands them over a batch at a time, in offset order per
 * partition. It uses a throwaway consumer group that commits nothing and is deleted afterwards, so a
 * replay never moves a pipeline's own offsets.
 */
export async function readRanges(options: {
  kafka: Kafka;
  topic: string;
  ranges: readonly PartitionRange[];
  onBatch: (messages: KafkaMessage[], partition: number) => Promise<void>;
}): Promise<void> {
  const { kafka, topic } = options;
  const pending = new Map(
    options.ranges
      .filter((range) => BigInt(range.end) > BigInt(range.start))
      .map((range) => [range.partition, range]),
  );
  if (pending.size === 0) return;
  const groupId = `millrace-replay-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let finish: (error?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error?: unknown) => (error === undefined ? resolve() : reject(error));
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        const range = pending.get(batch.partition);
        if (range === undefined) return;
        const end = BigInt(range.end);
        const inRange = batch.messages.filter(
          (message) => BigInt(message.offset) < end && BigInt(message.offset) >= BigInt(range.start),
        );
        try {
          if (inRange.length > 0) await options.onBatch(inRange, batch.partition);
        } catch (error) {
          finish(error);
          return;
        }
        resolveOffset(batch.lastOffset());
        if (BigInt(batch.lastOffset()) + 1n >= end) {
          pending.delete(batch.partition);
          consumer.pause([{ topic, partitions: [batch.partition] }]);
          if (pending.size === 0) finish();
        }
      },
    });
    for (const range of pending.values())
      consumer.seek({ topic, partition: range.partition, offset: range.start });
    await finished;
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
