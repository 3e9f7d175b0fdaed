import { createLogger } from '@millrace/observability';
import { TOPICS, decodeMessage, deadLetterTopicOf, type MessageInputOf } from '@millrace/schema';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, ensureTopics, PipelineProducer, runConsumer, type ConsumerRunner } from './index.js';
import { uniqueTopic, waitFor } from './testing.js';

const logger = createLogger('kafka-int-test', 'warn');
const tag = 'plant1/coldmill/pltcm/stand1/roll_force';

function batch(index: number): MessageInputOf<typeof TOPICS.samples> {
  const ts = 1_700_000_000_000_000 + index;
  return { tag, source: 'test', ingestTs: ts, ts: [ts], values: [index] };
}

describe('libs/kafka against a real broker', () => {
  let kafka: Kafka;
  let producer: PipelineProducer;
  const runners: ConsumerRunner[] = [];

  beforeAll(async () => {
    kafka = createKafka({ brokers: inject('stack').kafkaBrokers, clientId: 'kafka-int-test', logger });
    producer = new PipelineProducer(kafka, 'kafka-int-test');
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await producer.disconnect();
  });

  it('creates topics idempotently, dead-letter twins included', async () => {
    const spec = uniqueTopic(TOPICS.samples, 'ensure');
    const specs = [spec, deadLetterTopicOf(spec)];
    expect((await ensureTopics(kafka, specs)).created.sort()).toEqual(specs.map((s) => s.name).sort());
    expect(await ensureTopics(kafka, specs)).toEqual({ created: [], grown: [] });
    const admin = kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [spec.name] });
    await admin.disconnect();
    expect(metadata.topics[0]?.partitions).toHaveLength(spec.partitions);
  });

  it('produces 10k messages and reads every one back exactly once', async () => {
    const spec = uniqueTopic(TOPICS.samples, 'roundtrip');
    await ensureTopics(kafka, [spec, deadLetterTopicOf(spec)]);
    const total = 10_000;
    const messages = Array.from({ length: total }, (_, index) => ({
      key: `${tag}-${index % 50}`,
      value: batch(index),
    }));
    for (let start = 0; start < total; start += 1_000)
      await producer.send(spec, messages.slice(start, start + 1_000));

    const seen = new Map<number, number>();
    runners.push(
      await runConsumer({
        kafka,
        groupId: `${spec.name}.group`,
        spec,
        producer,
        logger,
        partitionsConsumedConcurrently: 3,
        handler: async (received) => {
          for (const message of received) {
            const value = message.value.values[0] as number;
            seen.set(value, (seen.get(value) ?? 0) + 1);
          }
        },
      }),
    );
    await waitFor(() => seen.size === total, 60_000, `${total} messages`);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
  });

  it('sends a message that fails its schema to the dead-letter twin and keeps the batch around it', async () => {
    const spec = uniqueTopic({ ...TOPICS.samples, partitions: 1 }, 'dlq');
    const dlq = deadLetterTopicOf(spec);
    await ensureTopics(kafka, [spec, dlq]);
    await producer.send(spec, [{ key: tag, value: batch(1) }]);
    await producer.sendRaw(spec.name, [
      { key: tag, value: Buffer.from('{"tag": "not a path", "ts": [], "values": []}') },
    ]);
    await producer.send(spec, [{ key: tag, value: batch(3) }]);

    const handled: number[] = [];
    runners.push(
      await runConsumer({
        kafka,
        groupId: `${spec.name}.group`,
        spec,
        producer,
        logger,
        handler: async (received) => {
          handled.push(...received.map((message) => message.value.values[0] as number));
        },
      }),
    );
    const deadLetters: unknown[] = [];
    const dlqConsumer = kafka.consumer({ groupId: `${dlq.name}.reader` });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: dlq.name, fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        const decoded = decodeMessage(dlq, message.value);
        if (decoded.ok) deadLetters.push(decoded.value);
      },
    });
    try {
      await waitFor(
        () => handled.length === 2 && deadLetters.length === 1,
        60_000,
        'good messages and one dead letter',
      );
    } finally {
      await dlqConsumer.disconnect();
    }
    expect(handled.sort()).toEqual([1, 3]);
    const [letter] = deadLetters as {
      originalTopic: string;
      value: string;
      reason: string;
      offset: string;
    }[];
    expect(letter?.originalTopic).toBe(spec.name);
    expect(letter?.offset).toBe('1');
    expect(Buffer.from(letter?.value ?? '', 'base64').toString()).toBe(
      '{"tag": "not a path", "ts": [], "values": []}',
    );
    expect(letter?.reason).toMatch(/tag: a tag path has/);
  });

  it('dead-letters what the handler rejects and commits past it', async () => {
    const spec = uniqueTopic({ ...TOPICS.samples, partitions: 1 }, 'reject');
    const dlq = deadLetterTopicOf(spec);
    await ensureTopics(kafka, [spec, dlq]);
    await producer.send(
      spec,
      [1, 2, 3].map((index) => ({ key: tag, value: batch(index) })),
    );
    const groupId = `${spec.name}.group`;
    let accepted = 0;
    const runner = await runConsumer({
      kafka,
      groupId,
      spec,
      producer,
      logger,
      handler: async (received) => {
        const rejected = received.filter((message) => message.value.values[0] === 2);
        accepted += received.length - rejected.length;
        return { rejected: rejected.map((message) => ({ message, reason: 'wrong type for tag' })) };
      },
    });
    await waitFor(() => accepted === 2, 60_000, 'two accepted');
    const admin = kafka.admin();
    await admin.connect();
    await waitFor(
      async () => {
        const offsets = await admin.fetchOffsets({ groupId, topics: [spec.name] });
        return offsets[0]?.partitions[0]?.offset === '3';
      },
      30_000,
      'committed offset 3',
    );
    const dlqOffsets = await admin.fetchTopicOffsets(dlq.name);
    await admin.disconnect();
    await runner.stop();
    expect(dlqOffsets[0]?.high).toBe('1');
  });
});
