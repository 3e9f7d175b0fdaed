import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, PipelineProducer, type OutgoingMessage } from '@millrace/kafka';
import { waitFor } from '@millrace/kafka/testing';
import { createLogger } from '@millrace/observability';
import { QueryClient } from '@millrace/questdb';
import { TOPICS } from '@millrace/schema';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { provisionStack } from '../../../infra/src/provision.js';
import { startStack } from '../../../infra/src/stack/stack.js';
import type { RunningStack, StackOptions } from '../../../infra/src/stack/types.js';
import { freePort } from '../../../infra/src/stack/ports.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const processorMain = `${repoRoot}services/stream-processor/dist/main.js`;
const TAGS = 40;
const MESSAGES = 2_000;
const PER_MESSAGE = 100; // 200k samples in all
const CHUNKS = 20;

/** Deterministic samples; integer values, so the checksum (a sum) is exact. */
function messagesOf(chunk: number): OutgoingMessage<typeof TOPICS.samples>[] {
  const perChunk = MESSAGES / CHUNKS;
  return Array.from({ length: perChunk }, (_, m) => {
    const index = chunk * perChunk + m;
    const tag = `plant1/faults/line/cell${index % TAGS}/value`;
    const round = Math.floor(index / TAGS);
    return {
      key: tag,
      value: {
        tag,
        source: 'fault-suite',
        ingestTs: 1_763_000_000_000_000,
        ts: Array.from(
          { length: PER_MESSAGE },
          (_, i) => 1_763_000_000_000_000 + (round * PER_MESSAGE + i) * 1_000,
        ),
        values: Array.from({ length: PER_MESSAGE }, (_, i) => (index * PER_MESSAGE + i) % 1_000),
      },
    };
  });
}

const expectedSum = (() => {
  let sum = 0;
  for (let chunk = 0; chunk < CHUNKS; chunk += 1)
    for (const { value } of messagesOf(chunk)) for (const sample of value.values) sum += sample as number;
  return sum;
})();

describe('stream-processor fault suite: 200k samples, 0 lost, 0 doubled', () => {
  const shared = inject('stack');
  const cacheDir = `${repoRoot}.millrace/cache`;
  let questdb: RunningStack | undefined;
  let kafka: RunningStack | undefined;
  let processor: ChildProcess | undefined;
  let client: QueryClient | undefined;
  let producer: PipelineProducer | undefined;

  afterAll(async () => {
    processor?.kill('SIGKILL');
    await producer?.disconnect().catch(() => undefined);
    await client?.end();
    await kafka?.stop();
    await questdb?.stop();
  });

  it('survives kill -9 of the processor, a QuestDB restart and a Kafka restart mid-stream', async () => {
    const ports = {
      questdbHttp: await freePort(),
      questdbPg: await freePort(),
      questdbIlp: await freePort(),
      kafka: await freePort(),
      kafkaController: await freePort(),
    };
    const questdbOptions = (brokers: string[]): StackOptions => ({
      dataDir: mkdtempSync(join(tmpdir(), 'millrace-faults-q-')),
      cacheDir,
      ports,
      components: {
        kafka: { mode: 'external', brokers },
        questdb: { mode: 'local' },
        mosquitto: { mode: 'external', url: shared.mqttUrl },
      },
    });
    const kafkaOptions = (questdbUrl: string, pgUrl: string): StackOptions => ({
      dataDir: mkdtempSync(join(tmpdir(), 'millrace-faults-k-')),
      cacheDir,
      ports,
      components: {
        kafka: { mode: 'local' },
        questdb: { mode: 'external', url: questdbUrl, pgUrl },
        mosquitto: { mode: 'external', url: shared.mqttUrl },
      },
    });

    // QuestDB first (against the shared Kafka, only for its health wait), then a private Kafka against it.
    const qOptions = questdbOptions(shared.kafkaBrokers);
    questdb = await startStack(qOptions);
    const kOptions = kafkaOptions(questdb.addresses.questdbUrl, questdb.addresses.questdbPgUrl);
    kafka = await startStack(kOptions);
    const addresses = kafka.addresses;
    await provisionStack(addresses, () => undefined);
    client = new QueryClient({ pgUrl: addresses.questdbPgUrl });

    const startProcessor = async () => {
      const port = await freePort();
      processor = spawn(process.execPath, [processorMain], {
        env: {
          ...process.env,
          MILLRACE_KAFKA_BROKERS: addresses.kafkaBrokers.join(','),
          MILLRACE_QUESTDB_URL: addresses.questdbUrl,
          MILLRACE_QUESTDB_PG_URL: addresses.questdbPgUrl,
          MILLRACE_MQTT_URL: shared.mqttUrl,
          MILLRACE_LOG_LEVEL: 'error',
          STREAM_PROCESSOR_PORT: String(port),
        },
        stdio: 'ignore',
      });
    };
    const stored = async () => {
      try {
        const [row] = await client!.query<{ n: string; total: number | null }>(
          "SELECT count() n, sum(value) total FROM samples WHERE tag LIKE 'plant1/faults/%'",
        );
        return { count: Number(row?.n ?? 0), sum: Number(row?.total ?? 0) };
      } catch {
        return { count: -1, sum: 0 }; // QuestDB restarting
      }
    };

    producer = new PipelineProducer(
      createKafka({
        brokers: addresses.kafkaBrokers,
        clientId: 'fault-suite',
        logger: createLogger('fault-suite', 'silent'),
      }),
      'fault-suite',
    );
    await producer.connect();
    let chunk = 0;
    const produce = async (upTo: number) => {
      for (; chunk < upTo; chunk += 1) await producer!.send(TOPICS.samples, messagesOf(chunk));
    };

    await startProcessor();
    await produce(5);
    await waitFor(async () => (await stored()).count >= 20_000, 120_000, 'first rows stored');

    // 1. kill -9 of the processor mid-stream, more data while it is down, then a restart.
    processor!.kill('SIGKILL');
    await produce(8);
    await startProcessor();
    await waitFor(async () => (await stored()).count >= 70_000, 120_000, 'rows after processor restart');

    // 2. QuestDB restarts while data keeps coming.
    await questdb.stop();
    await produce(12);
    questdb = await startStack({
      ...qOptions,
      components: { ...qOptions.components, kafka: { mode: 'external', brokers: addresses.kafkaBrokers } },
    });
    await waitFor(async () => (await stored()).count >= 110_000, 120_000, 'rows after QuestDB restart');

    // 3. Kafka restarts; the producer and the processor reconnect.
    await kafka.stop();
    kafka = await startStack(kOptions);
    await produce(CHUNKS);
    await waitFor(
      async () => (await stored()).count >= MESSAGES * PER_MESSAGE,
      120_000,
      'every sample stored',
    );

    const total = await stored();
    expect(total).toEqual({ count: MESSAGES * PER_MESSAGE, sum: expectedSum });
  }, 600_000); // three restarts on a 2-core machine: minutes when the machine is busy
});
