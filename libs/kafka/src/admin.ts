import { ALL_TOPICS, type TopicSpec } from '@millrace/schema';
import type { Kafka } from 'kafkajs';

export interface EnsureTopicsResult {
  created: string[];
  grown: string[];
}

/**
 * Creates missing topics with their partitions and cleanup policy, and adds partitions where a
 * topic has fewer than its spec. Idempotent: safe at every start-up, and racing starters are fine.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[] = ALL_TOPICS,
): Promise<EnsureTopicsResult> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    const replicationFactor = Math.min(3, brokers.length);
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.name,
          numPartitions: spec.partitions,
          replicationFactor,
          configEntries: topicConfig(spec),
        })),
      });
    }
    const present = specs.filter((spec) => existing.has(spec.name));
    const grown: string[] = [];
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: present.map((spec) => spec.name) });
      const toGrow = present.filter((spec) => {
        const topic = metadata.topics.find((candidate) => candidate.name === spec.name);
        return topic !== undefined && topic.partitions.length < spec.partitions;
      });
      if (toGrow.length > 0) {
        await admin.createPartitions({
          topicPartitions: toGrow.map((spec) => ({ topic: spec.name, count: spec.partitions })),
        });
        grown.push(...toGrow.map((spec) => spec.name));
      }
    }
    return { created: missing.map((spec) => spec.name), grown };
  } finally {
    await admin.disconnect();
  }
}

function topicConfig(spec: TopicSpec): { name: string; value: string }[] {
  return spec.cleanup.policy === 'compact'
    ? [{ name: 'cleanup.policy', value: 'compact' }]
    : [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(spec.cleanup.retentionMs) },
      ];
}
