import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createKafka, ensureTopics, PipelineProducer } from '@millrace/kafka';
import { uniqueTopic } from '@millrace/kafka/testing';
import { createLogger } from '@millrace/observability';
import { IlpWriter, QueryClient, type Row } from '@millrace/questdb';
import { ALL_VIEWS, TABLES, TOPICS } from '@millrace/schema';
import { epochUs, usToIso } from '@millrace/time';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from '@millrace/plant-sim';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../../infra/dist/cli.js', import.meta.url));

describe('rollups and replay against the real stack', () => {
  const stack = inject('stack');
  let client: QueryClient;
  let writer: IlpWriter;

  beforeAll(async () => {
    client = new QueryClient({ pgUrl: stack.questdbPgUrl });
    writer = await IlpWriter.connect({ httpUrl: stack.questdbUrl });
  });
  afterAll(async () => {
    await writer.close();
    await client.end();
  });

  const seed = Math.floor(Math.random() * 2 ** 31);
  it(`every rollup row of a random day equals SAMPLE BY over raw (seed ${seed})`, async () => {
    const random = seededRandom(seed);
    const day = Date.UTC(2024, Math.floor(random() * 12), 1 + Math.floor(random() * 28)) * 1000;
    const prefix = `plant1/rollupcheck${seed}/line`;
    const rows: Row[] = [];
    for (let tag = 0; tag < 3; tag += 1) {
      for (let i = 0; i < 20_000; i += 1) {
        // Random instants over the day, some sharing a second, values with spikes.
        const ts = epochUs(day + Math.floor(random() * 86_400_000_000));
        rows.push({
          ts,
          tag: `${prefix}/cell${tag}/value`,
          value: random() < 0.001 ? 1e6 * random() : random() * 100 - 50,
        });
      }
    }
    for (let offset = 0; offset < rows.length; offset += 20_000)
      await writer.write(TABLES.samples, rows.slice(offset, offset + 20_000));
    await client.waitForWalApplied(TABLES.samples.name);
    for (const view of ALL_VIEWS) await client.waitForViewRefreshed(view.name);

    const range = `tag LIKE '${prefix}/%' AND ts >= '${usToIso(epochUs(day))}' AND ts < '${usToIso(epochUs(day + 86_400_000_000))}'`;
    for (const view of ALL_VIEWS) {
      const fromView = await client.query(
        `SELECT ts, tag, min, max, first, last, sum, count FROM ${view.name} WHERE ${range} ORDER BY tag, ts`,
      );
      const fromRaw = await client.query(
        `SELECT ts, tag, min(value) min, max(value) max, first(value) first, last(value) last, sum(value) sum, count(value) count ` +
          `FROM samples WHERE ${range} SAMPLE BY ${view.sampleBy} ORDER BY tag, ts`,
      );
      expect(fromView.length, view.name).toBe(fromRaw.length);
      expect(fromView.length).toBeGreaterThan(0);
      fromView.forEach((row, index) => {
        const raw = fromRaw[index]!;
        expect({ ...row, count: Number(row.count), sum: 0 }, `${view.name} row ${index}`).toEqual({
          ...raw,
          count: Number(raw.count),
          sum: 0,
        });
        expect(row.sum as number).toBeCloseTo(raw.sum as number, 6);
      });
    }
  });

  it('replays a time range into a topic and into QuestDB; replaying stored data changes no count', async () => {
    const kafka = createKafka({
      brokers: stack.kafkaBrokers,
      clientId: 'replay-test',
      logger: createLogger('replay-test', 'silent'),
    });
    const source = uniqueTopic(TOPICS.samples, 'replay-source');
    const target = uniqueTopic(TOPICS.samples, 'replay-target');
    await ensureTopics(kafka, [source, target]);
    const producer = new PipelineProducer(kafka, 'replay-test');
    await producer.connect();
    const tag = `plant1/replay${Date.now()}/line/cell/value`;
    const messages = Array.from({ length: 50 }, (_, m) => ({
      key: tag,
      value: {
        tag,
        source: 'test',
        ingestTs: 1_763_000_000_000_000,
        ts: Array.from({ length: 100 }, (_, i) => 1_763_000_000_000_000 + (m * 100 + i) * 1000),
        values: Array.from({ length: 100 }, (_, i) => i),
      },
    }));
    const before = new Date(Date.now() - 1_000).toISOString();
    await producer.send(source, messages);
    // The live samples topic too: `--store` stores what the pipeline stores, by the topic's own mapping.
    await producer.send(TOPICS.samples, messages);
    await producer.disconnect();
    const after = new Date(Date.now() + 1_000).toISOString();
    const env = {
      ...process.env,
      MILLRACE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MILLRACE_QUESTDB_URL: stack.questdbUrl,
      MILLRACE_QUESTDB_PG_URL: stack.questdbPgUrl,
    };
    const range = ['--from', before, '--to', after];

    const copied = await run(
      process.execPath,
      [cli, 'replay', '--topic', source.name, ...range, '--into', target.name],
      { env },
    );
    expect(copied.stdout).toContain('copied 50 messages');
    const admin = kafka.admin();
    await admin.connect();
    const targetEnd = await admin.fetchTopicOffsets(target.name);
    await admin.disconnect();
    expect(targetEnd.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(50);

    const count = async () => {
      await client.waitForWalApplied(TABLES.samples.name);
      return client.count(TABLES.samples.name, `WHERE tag = '${tag}'`);
    };
    const store = () =>
      run(process.execPath, [cli, 'replay', '--topic', TOPICS.samples.name, ...range, '--store'], { env });
    expect((await store()).stdout).toMatch(/stored \d+ rows/);
    expect(await count()).toBe(5_000);
    await store();
    expect(await count()).toBe(5_000);
  });
});
