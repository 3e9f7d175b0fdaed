import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, ensureTopics, PipelineProducer, STORE_AND_FORWARD_RETRY } from '@millrace/kafka';
import { uniqueTopic, waitFor } from '@millrace/kafka/testing';
import { mappingRulesSchema } from '@millrace/mqtt-mapping';
import { createLogger } from '@millrace/observability';
import {
  deadLetterSchema,
  deadLetterTopicOf,
  sampleBatchSchema,
  TOPICS,
  type DeadLetter,
  type SampleBatch,
  type TagMeta,
} from '@millrace/schema';
import { DiskQueue, SpoolingPublisher } from '@millrace/spool';
import type { Kafka } from 'kafkajs';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startStack } from '../../../infra/src/stack/stack.js';
import type { RunningStack } from '../../../infra/src/stack/types.js';
import { MqttIngestor } from './ingestor.js';
import { freePort } from '../../../infra/src/stack/ports.js';

const logger = createLogger(
  'ingest-mqtt-test',
  (process.env.TEST_LOG_LEVEL as 'debug' | undefined) ?? 'silent',
);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** Reads a topic from the beginning into an array, decoded as JSON; a rebalance's re-reads are skipped by offset. */
async function collect<T>(kafka: Kafka, topic: string): Promise<T[]> {
  const received: T[] = [];
  const seen = new Set<string>();
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (seen.has(`${partition}:${message.offset}`)) return;
      seen.add(`${partition}:${message.offset}`);
      received.push(JSON.parse(message.value?.toString('utf8') ?? 'null') as T);
    },
  });
  cleanups.push(() => consumer.disconnect());
  return received;
}

interface Harness {
  ingestor: MqttIngestor;
  publisher: SpoolingPublisher;
  producer: PipelineProducer;
  kafka: Kafka;
  samples: typeof TOPICS.samples;
  inspections: typeof TOPICS.inspections;
  tags: typeof TOPICS.tags;
  prefix: string;
  stop(): Promise<void>;
}

async function startIngestor(options: {
  brokers: string[];
  mqttUrl: string;
  clientId?: string;
}): Promise<Harness> {
  // The service's own retry bounds, so an outage hands over to the spool as quickly as in production.
  const kafka = createKafka({
    brokers: options.brokers,
    clientId: 'ingest-mqtt-test',
    logger,
    retry: STORE_AND_FORWARD_RETRY,
  });
  const samples = uniqueTopic(TOPICS.samples, 'mqtt');
  const inspections = uniqueTopic(TOPICS.inspections, 'mqtt');
  const tags = uniqueTopic(TOPICS.tags, 'mqtt');
  await ensureTopics(kafka, [
    samples,
    inspections,
    tags,
    deadLetterTopicOf(samples),
    deadLetterTopicOf(inspections),
  ]);
  const prefix = `p${randomUUID().slice(0, 8)}`;
  const rules = mappingRulesSchema.parse([
    { filter: `${prefix}/+/+/inspections/+`, target: 'inspections' },
    { filter: `${prefix}/+/+/CAS_01/temperature`, target: 'samples', unit: '°C', expectedPeriodMs: 1_000 },
    { filter: `${prefix}/#`, target: 'samples' },
  ]);
  const producer = new PipelineProducer(kafka, 'ingest-mqtt');
  const { queue } = DiskQueue.open({
    dir: join(mkdtempSync(join(tmpdir(), 'millrace-ingest-mqtt-')), 'spool'),
    maxBytes: 256 * 1024 * 1024,
  });
  const publisher = new SpoolingPublisher({ producer, queue, logger, retryMaxMs: 2_000 });
  await publisher.start();
  const ingestor = new MqttIngestor({
    mqttUrl: options.mqttUrl,
    clientId: options.clientId ?? `ingest-test-${prefix}`,
    rules,
    sessionExpiryS: 600,
    reconnectPeriodMs: 250,
    receiveMaximum: 1000,
    lingerMs: 20,
    batchMaxSamples: 1000,
    publisher,
    producer,
    logger,
    topics: { samples, inspections, tags },
  });
  ingestor.start();
  await waitFor(() => ingestor.connected, 20_000, 'ingestor connected');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await ingestor.stop();
    await publisher.stop();
    await producer.disconnect();
  };
  cleanups.push(stop);
  return { ingestor, publisher, producer, kafka, samples, inspections, tags, prefix, stop };
}

async function mqttClient(url: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    clientId: `test-pub-${randomUUID().slice(0, 8)}`,
    reconnectPeriod: 250,
    protocolVersion: 5,
  });
  cleanups.push(() => client.endAsync(true));
  return client;
}

/** Every sample value per tag, flattened from the received batches. */
function valuesByTag(batches: SampleBatch[]): Map<string, number[]> {
  const byTag = new Map<string, number[]>();
  for (const batch of batches) {
    const values = byTag.get(batch.tag) ?? [];
    values.push(...(batch.values as number[]));
    byTag.set(batch.tag, values);
  }
  return byTag;
}

const TAGS = ['CAS_01/temperature', 'CAS_01/speed', 'FORM_01/voltage'];
const totalSamples = (batches: SampleBatch[]) => batches.reduce((sum, batch) => sum + batch.ts.length, 0);

describe('ingest-mqtt', () => {
  it('dead-letters malformed payloads with the reason, the topic and the bytes, and keeps going', async () => {
    const stack = inject('stack');
    const h = await startIngestor({ brokers: stack.kafkaBrokers, mqttUrl: stack.mqttUrl });
    const received = await collect<SampleBatch>(h.kafka, h.samples.name);
    const dlqSamples = await collect<DeadLetter>(h.kafka, `${h.samples.name}.dlq`);
    const dlqInspections = await collect<DeadLetter>(h.kafka, `${h.inspections.name}.dlq`);
    const inspections = await collect<unknown>(h.kafka, h.inspections.name);
    const descriptions = await collect<TagMeta>(h.kafka, h.tags.name);
    const client = await mqttClient(stack.mqttUrl);
    const tag = `${h.prefix}/cells/line1/CAS_01/temperature`;
    const publish = (topic: string, payload: string) => client.publishAsync(topic, payload, { qos: 1 });
    await publish(tag, JSON.stringify({ value: 21.5, ts: 1_700_000_000_000 }));
    await publish(tag, 'not json {');
    await publish(tag, JSON.stringify({ value: 1, ts: 'yesterday' }));
    await publish(`${h.prefix}/cells/speed`, JSON.stringify({ value: 1, ts: 1 }));
    await publish(`${h.prefix}/cells/line1/inspections/FQC`, JSON.stringify({ cellId: 'C1' }));
    await publish(
      `${h.prefix}/cells/line1/inspections/FQC`,
      JSON.stringify({
        cellId: 'C2',
        orderId: 'O1',
        line: 'line1',
        stage: 'FQC',
        ts: 1_700_000_000_000_000,
        measurements: { capacityAh: 5 },
      }),
    );
    await publish(tag, JSON.stringify({ value: 22.5, ts: 1_700_000_001_000 }));

    await waitFor(
      () => totalSamples(received) === 2 && dlqSamples.length === 3 && dlqInspections.length === 1,
      30_000,
      'samples and dead letters',
    ).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}: ${totalSamples(received)} samples, ${dlqSamples.length} + ${dlqInspections.length} dead letters`,
      );
    });
    await waitFor(() => inspections.length === 1, 10_000, 'the good inspection');
    // The two good samples may arrive in one batch or two, depending on the linger: only their source matters.
    expect(new Set(received.map((batch) => sampleBatchSchema.parse(batch).source))).toEqual(
      new Set([`mqtt:${tag}`]),
    );
    expect(valuesByTag(received).get(tag)).toEqual([21.5, 22.5]);
    for (const letter of [...dlqSamples, ...dlqInspections]) deadLetterSchema.parse(letter);
    // Dead letters are written as each message is refused, so their order is not the publish order.
    const byReason = (pattern: RegExp) => dlqSamples.find((letter) => pattern.test(letter.reason));
    expect(byReason(/ts must be a number of epoch milliseconds/)).toBeDefined();
    expect(byReason(/not a tag path/)?.location).toBe(`${h.prefix}/cells/speed`);
    const notJson = byReason(/not JSON/);
    expect(notJson).toMatchObject({ location: tag, originalTopic: h.samples.name, service: 'ingest-mqtt' });
    expect(Buffer.from(notJson?.value ?? '', 'base64').toString('utf8')).toBe('not json {');
    expect(dlqInspections[0]?.reason).toMatch(/orderId/);
    expect(dlqInspections[0]?.location).toBe(`${h.prefix}/cells/line1/inspections/FQC`);
    // The tag is described once, with its rule's unit, however many samples it sends.
    await waitFor(() => descriptions.length > 0, 10_000, 'the tag description');
    expect(descriptions).toEqual([
      expect.objectContaining({
        tag,
        unit: '°C',
        expectedPeriodMs: 1_000,
        valueType: 'number',
        source: 'ingest-mqtt',
      }),
    ]);
  });

  it('loses nothing across a broker restart and re-subscribes on a broker that forgot the session', async () => {
    const stack = inject('stack');
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'millrace-mqtt-restart-'));
    const brokerOptions = {
      dataDir,
      components: {
        kafka: { mode: 'external' as const, brokers: stack.kafkaBrokers },
        questdb: { mode: 'external' as const, url: stack.questdbUrl, pgUrl: stack.questdbPgUrl },
        mosquitto: { mode: 'local' as const },
      },
      ports: { mqtt: port },
      healthTimeoutMs: 30_000,
    };
    let broker: RunningStack = await startStack(brokerOptions);
    cleanups.push(() => broker.stop());
    const h = await startIngestor({ brokers: stack.kafkaBrokers, mqttUrl: broker.addresses.mqttUrl });
    const received = await collect<SampleBatch>(h.kafka, h.samples.name);
    const client = await mqttClient(broker.addresses.mqttUrl);
    let next = 0;
    const publishSome = async (count: number) => {
      for (let i = 0; i < count; i++, next++) {
        await Promise.all(
          TAGS.map((tag) =>
            client.publishAsync(
              `${h.prefix}/cells/line1/${tag}`,
              JSON.stringify({ value: next, ts: 1_700_000_000_000 + next }),
              {
                qos: 1,
              },
            ),
          ),
        );
      }
    };
    await publishSome(50);
    await waitFor(() => totalSamples(received) === 150, 20_000, 'samples before the restart');

    // The broker stops while the ingestor is subscribed; messages published while the ingestor has not
    // reconnected yet wait in its persistent session.
    await broker.stop();
    await waitFor(() => !h.ingestor.connected, 10_000, 'ingestor sees the broker gone');
    broker = await startStack(brokerOptions);
    const publishing = publishSome(50);
    await publishing;
    // `>=`, then the exact values below: a duplicate fails there with the values, not as a timeout.
    await waitFor(() => totalSamples(received) >= 300, 30_000, 'samples across the restart').catch(
      (error: unknown) => {
        throw new Error(`${(error as Error).message}: ${totalSamples(received)} of 300 samples`);
      },
    );

    // A broker that lost its state (fresh data): no session, no subscriptions; the ingestor subscribes again.
    await broker.stop();
    broker = await startStack({ ...brokerOptions, fresh: true });
    await waitFor(() => h.ingestor.connected, 20_000, 'ingestor reconnected to the fresh broker');
    await new Promise((resolve) => setTimeout(resolve, 500)); // the SUBACK travels after CONNACK
    await publishSome(50);
    await waitFor(() => totalSamples(received) >= 450, 30_000, 'samples after re-subscribing').catch(
      (error: unknown) => {
        throw new Error(`${(error as Error).message}: ${totalSamples(received)} of 450 samples`);
      },
    );

    const byTag = valuesByTag(received);
    for (const tag of TAGS) {
      expect(byTag.get(`${h.prefix}/cells/line1/${tag}`)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    }
  });

  it('spools while Kafka is down and drains it in order: every sample arrives once', async () => {
    const stack = inject('stack');
    const ports = { kafka: await freePort(), kafkaController: await freePort() };
    const kafkaOptions = {
      dataDir: mkdtempSync(join(tmpdir(), 'millrace-kafka-outage-')),
      cacheDir: join(repoRoot, '.millrace/cache'),
      components: {
        kafka: { mode: 'local' as const },
        questdb: { mode: 'external' as const, url: stack.questdbUrl, pgUrl: stack.questdbPgUrl },
        mosquitto: { mode: 'external' as const, url: stack.mqttUrl },
      },
      ports,
      healthTimeoutMs: 90_000,
    };
    let kafkaStack: RunningStack = await startStack(kafkaOptions);
    cleanups.push(() => kafkaStack.stop({ force: true }));
    const h = await startIngestor({ brokers: kafkaStack.addresses.kafkaBrokers, mqttUrl: stack.mqttUrl });
    const client = await mqttClient(stack.mqttUrl);
    let next = 0;
    let publishing = true;
    // ~150 samples/s over three tags until told to stop.
    const publisher = (async () => {
      while (publishing) {
        await Promise.all(
          TAGS.map((tag) =>
            client.publishAsync(
              `${h.prefix}/cells/line1/${tag}`,
              JSON.stringify({ value: next, ts: 1_700_000_000_000 + next }),
              {
                qos: 1,
              },
            ),
          ),
        );
        next += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await waitFor(() => next >= 100, 10_000, 'publishing under way');
    const outageStart = Date.now();
    await kafkaStack.stop();
    await waitFor(() => h.publisher.spooling && h.publisher.spoolDepth > 0, 90_000, 'spooling to disk');
    const spoolingAfterMs = Date.now() - outageStart;
    // Kafka stays away for OUTAGE_MS in all.
    const OUTAGE_MS = 30_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - outageStart))));
    kafkaStack = await startStack(kafkaOptions);
    const outageMs = Date.now() - outageStart;
    await waitFor(() => next >= 0 && !h.publisher.spooling, 120_000, 'spool drained');
    publishing = false;
    await publisher;
    const published = next;
    const received = await collect<SampleBatch>(h.kafka, h.samples.name);
    await waitFor(() => totalSamples(received) >= published * TAGS.length, 60_000, 'every sample in Kafka');
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a duplicate would arrive about now
    const byTag = valuesByTag(received);
    for (const tag of TAGS) {
      expect(byTag.get(`${h.prefix}/cells/line1/${tag}`)).toEqual(
        Array.from({ length: published }, (_, i) => i),
      );
    }
    console.log(
      `kafka outage ${(outageMs / 1000).toFixed(1)} s (spooling began ${(spoolingAfterMs / 1000).toFixed(1)} s after the stop); ${published * TAGS.length} samples, each once, in order`,
    );
  }, 300_000);
});
