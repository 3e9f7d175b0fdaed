import { decodeMessage, type MessageOf, type TopicSpec } from '@millrace/schema';
import type { Kafka } from 'kafkajs';
import { readRanges } from './replay.js';

/**
 * The latest value per key of a compacted topic, read from its start to its end as of now (committed
 * messages only). A null value (a tombstone) removes the key; a value its schema refuses is skipped.
 */
export async function readLatestByKey<Spec extends TopicSpec>(
  kafka: Kafka,
  spec: Spec,
): Promise<Map<string, MessageOf<Spec>>> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(spec.name).finally(() => admin.disconnect());
  const latest = new Map<string, MessageOf<Spec>>();
  await readRanges({
    kafka,
    topic: spec.name,
    ranges: offsets.map((offset) => ({ partition: offset.partition, start: offset.low, end: offset.high })),
    onBatch: async (messages) => {
      for (const message of messages) {
        const key = message.key?.toString('utf8');
        if (key === undefined) continue;
        if (message.value === null) {
          latest.delete(key);
          continue;
        }
        const decoded = decodeMessage(spec, message.value);
        if (decoded.ok) latest.set(key, decoded.value);
      }
    },
  });
  return latest;
}
