import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@millrace/kafka/testing';
import { createLogger } from '@millrace/observability';
import { TOPICS, type SampleBatch } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DiskQueue } from './disk-queue.js';
import { SpoolFullError } from './errors.js';
import { SpoolingPublisher, type KafkaSender } from './spooling-publisher.js';

const logger = createLogger('spool-spec', (process.env.SPEC_LOG as 'debug' | undefined) ?? 'silent');

/** A Kafka stand-in: `down` makes sends fail as an unreachable broker does; `refuse` as a refusing one. */
class FakeKafka implements KafkaSender {
  down = false;
  refuseKeys = new Set<string>();
  readonly received: { topic: string; key: string; value: SampleBatch }[] = [];
  sends = 0;

  connect(): Promise<void> {
    return this.down ? Promise.reject(connectionError()) : Promise.resolve();
  }

  async sendRaw(topic: string, messages: Parameters<KafkaSender['sendRaw']>[1]): Promise<void> {
    this.sends += 1;
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.down) throw connectionError();
    if (messages.some((message) => this.refuseKeys.has(String(message.key)))) {
      throw Object.assign(new Error('The request included a message larger than the max message size'), {
        name: 'KafkaJSProtocolError',
        retriable: false,
        type: 'MESSAGE_TOO_LARGE',
      });
    }
    for (const message of messages) {
      this.received.push({
        topic,
        key: String(message.key),
        value: JSON.parse(String(message.value)) as SampleBatch,
      });
    }
  }
}

function connectionError(): Error {
  const cause = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), {
    name: 'KafkaJSConnectionError',
    retriable: true,
  });
  return Object.assign(new Error('connect ECONNREFUSED'), {
    name: 'KafkaJSNumberOfRetriesExceeded',
    retriable: false,
    cause,
  });
}

const batch = (tag: string, n: number): SampleBatch => ({
  tag: tag as SampleBatch['tag'],
  source: 'mqtt:test',
  ingestTs: epochUs(1_700_000_000_000_000),
  ts: [epochUs(1_700_000_000_000_000 + n)],
  values: [n],
});
const TAG = 'plant1/cells/line1/CAS_01/temperature';

function setup(
  kafka: FakeKafka,
  dir = mkdtempSync(join(tmpdir(), 'millrace-publisher-')),
  maxBytes = 1 << 20,
) {
  const { queue } = DiskQueue.open({ dir, maxBytes });
  const metrics = new Registry();
  const publisher = new SpoolingPublisher({
    producer: kafka,
    queue,
    logger,
    metrics,
    retryInitialMs: 5,
    retryMaxMs: 20,
    drainBatchRecords: 4,
  });
  return { publisher, queue, dir, metrics };
}

const values = (kafka: FakeKafka): number[] => kafka.received.map((message) => message.value.ts[0] ?? -1);

describe('SpoolingPublisher', () => {
  it('sends straight to Kafka while it answers', async () => {
    const kafka = new FakeKafka();
    const { publisher, queue } = setup(kafka);
    await publisher.start();
    await expect(publisher.publish(TOPICS.samples, [{ key: TAG, value: batch(TAG, 1) }])).resolves.toBe(
      'sent',
    );
    expect(kafka.received).toHaveLength(1);
    expect(queue.depth).toBe(0);
    await publisher.stop();
  });

  it('spools while Kafka is unreachable and drains in publish order when it returns', async () => {
    const kafka = new FakeKafka();
    const { publisher, queue, metrics } = setup(kafka);
    await publisher.start();
    const outcomes: Promise<string>[] = [];
    for (let i = 0; i < 5; i++)
      outcomes.push(publisher.publish(TOPICS.samples, [{ key: TAG, value: batch(TAG, i) }]));
    await Promise.all(outcomes);
    kafka.down = true;
    for (let i = 5; i < 30; i++)
      outcomes.push(publisher.publish(TOPICS.samples, [{ key: TAG, value: batch(TAG, i) }]));
    const settled = await Promise.all(outcomes);
    expect(settled.slice(5).every((outcome) => outcome === 'spooled')).toBe(true);
    expect(publisher.spooling).toBe(true);
    expect(queue.depth).toBe(25);
    expect(await metrics.getSingleMetricAsString('millrace_spool_records')).toContain('spool=');
    kafka.down = false;
    await waitFor(() => !publisher.spooling, 5_000, 'drain');
    for (let i = 30; i < 35; i++)
      await publisher.publish(TOPICS.samples, [{ key: TAG, value: batch(TAG, i) }]);
    const base = 1_700_000_000_000_000;
    expect(values(kafka)).toEqual(Array.from({ length: 35 }, (_, i) => base + i));
    expect(queue.depth).toBe(0);
    await publisher.stop();
  });

  it('keeps the spool across a restart of the service and drains it first', async () => {
    const kafka = new FakeKafka();
    kafka.down = true;
    const first = setup(kafka);
    await first.publisher.start();
    for (let i = 0; i < 3; i++) {
      await expect(
        first.publisher.publish(TOPICS.samples, [{ key: TAG, value: batch(TAG, i) }]),
      ).resolves.toBe('spooled');
    }
    await first.publisher.stop();
    kafka.down = false;
    const second = setup(kafka, first.dir);
    await second.publisher.start();
    await second.publisher.publish(TOPICS.samples, [{ key: TAG, value: batch(TAG, 3) }]);
    await waitFor(() => kafka.received.length === 4, 5_000, 'all four');
    expect(values(kafka).map((ts) => ts % 10)).toEqual([0, 1, 2, 3]);
    await second.publisher.stop();
  });

  it('rejects only the publish Kafka refuses for good, and sends the others', async () => {
    const kafka = new FakeKafka();
    kafka.refuseKeys.add('plant1/cells/line1/CAS_01/huge');
    const { publisher } = setup(kafka);
    await publisher.start();
    const good = publisher.publish(TOPICS.samples, [{ key: TAG, value: batch(TAG, 1) }]);
    const bad = publisher.publish(TOPICS.samples, [
      { key: 'plant1/cells/line1/CAS_01/huge', value: batch('plant1/cells/line1/CAS_01/huge', 2) },
    ]);
    const alsoGood = publisher.publish(TOPICS.samples, [{ key: TAG, value: batch(TAG, 3) }]);
    await expect(good).resolves.toBe('sent');
    await expect(bad).rejects.toMatchObject({ name: 'KafkaJSProtocolError' });
    await expect(alsoGood).resolves.toBe('sent');
    expect(values(kafka).map((ts) => ts % 10)).toEqual([1, 3]);
    await publisher.stop();
  });

  it('refuses with SpoolFullError when the spool is at its bound', async () => {
    const kafka = new FakeKafka();
    kafka.down = true;
    const { publisher } = setup(kafka, undefined, 400);
    await publisher.start();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        publisher.publish(TOPICS.samples, [{ key: TAG, value: batch(TAG, i) }]),
      ),
    );
    expect(results.filter((result) => result.status === 'fulfilled').length).toBeGreaterThan(0);
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(SpoolFullError);
    await publisher.stop();
  });

  it('rejects a message its topic schema refuses, before sending anything', async () => {
    const kafka = new FakeKafka();
    const { publisher } = setup(kafka);
    await publisher.start();
    const invalid = { ...batch(TAG, 1), ts: [] };
    await expect(publisher.publish(TOPICS.samples, [{ key: TAG, value: invalid }])).rejects.toThrow(
      TypeError,
    );
    expect(kafka.sends).toBe(0);
    await publisher.stop();
  });
});
