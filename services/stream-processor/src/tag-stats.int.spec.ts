import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createKafka, PipelineProducer } from '@millrace/kafka';
import { waitFor } from '@millrace/kafka/testing';
import { createLogger } from '@millrace/observability';
import { QueryClient } from '@millrace/questdb';
import { TABLES, TOPICS } from '@millrace/schema';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../infra/src/stack/ports.js';

const processorMain = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('per-tag pipeline counts', () => {
  const stack = inject('stack');
  const id = `tagstats${Date.now().toString(36)}`;
  const tag = `plant1/${id}/line/cell/value`;
  let processor: ChildProcess | undefined;
  const client = new QueryClient({ pgUrl: stack.questdbPgUrl });
  const producer = new PipelineProducer(
    createKafka({ brokers: stack.kafkaBrokers, clientId: id, logger: createLogger(id, 'silent') }),
    id,
  );

  afterAll(async () => {
    processor?.kill('SIGKILL');
    await producer.disconnect();
    await client.end();
  });

  it('counts on-time, late, too-late and dead-lettered samples of a tag into pipeline_tag_stats', async () => {
    processor = spawn(process.execPath, [processorMain], {
      env: {
        ...process.env,
        MILLRACE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        MILLRACE_QUESTDB_URL: stack.questdbUrl,
        MILLRACE_QUESTDB_PG_URL: stack.questdbPgUrl,
        MILLRACE_MQTT_URL: stack.mqttUrl,
        MILLRACE_LOG_LEVEL: 'error',
        STREAM_PROCESSOR_PORT: String(await freePort()),
        STREAM_PROCESSOR_GROUP_PREFIX: id,
        STREAM_PROCESSOR_START_AT: 'latest', // the shared topics' backlog is not this test's
        STREAM_PROCESSOR_ALLOWED_LATENESS_MS: '5000',
        STREAM_PROCESSOR_TAG_STATS_INTERVAL_MS: '200',
      },
      stdio: 'ignore',
    });
    await producer.connect();
    const statsOf = async (of: string) => {
      const [row] = await client.query<Record<string, string>>(
        'SELECT sum(on_time) on_time, sum(late) late, sum(too_late) too_late, sum(dead_letters) dead_letters ' +
          `FROM ${TABLES.pipelineTagStats.name} WHERE tag = $1`,
        [of],
      );
      return Object.fromEntries(Object.entries(row ?? {}).map(([key, value]) => [key, Number(value)]));
    };
    // A group starting at 'latest' skips what was sent before it joined: probe until it counts something.
    const probe = `${tag}probe`;
    let lastProbe = 0;
    await waitFor(
      async () => {
        if (Date.now() - lastProbe > 2_000) {
          lastProbe = Date.now();
          await producer.send(TOPICS.samples, [
            {
              key: probe,
              value: { tag: probe, source: id, ingestTs: 0, ts: [Date.now() * 1_000], values: [1] },
            },
          ]);
        }
        return ((await statsOf(probe).catch((): Record<string, number> => ({}))).on_time ?? 0) > 0;
      },
      60_000,
      'the processor to join',
    );
    const t0 = Date.now() * 1_000;
    const batch = (ts: number[]) => ({
      key: tag,
      value: { tag, source: id, ingestTs: t0, ts, values: ts.map((_, i) => i) },
    });
    // One partition per tag (keyed), so the processor sees them in this order.
    await producer.send(TOPICS.samples, [batch([t0, t0 + 1e6, t0 + 2e6])]); // 3 on time
    await producer.send(TOPICS.samples, [batch([t0 + 1.5e6])]); // late, within 5 s
    await producer.send(TOPICS.samples, [batch([t0 - 60e6])]); // too late
    await producer.sendRaw(TOPICS.samples.name, [{ key: tag, value: Buffer.from('{"tag": 12') }]);

    let counts: Record<string, number> = {};
    await waitFor(
      async () => {
        counts = await statsOf(tag);
        return counts.on_time === 3 && counts.dead_letters === 1 && counts.too_late === 1;
      },
      60_000,
      'per-tag counts',
    );
    expect(counts).toEqual({ on_time: 3, late: 1, too_late: 1, dead_letters: 1 });
  });
});
