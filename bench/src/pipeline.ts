// bench/pipeline (issue: Stream processor). Prints end-to-end samples/s (Kafka → QuestDB) beside the same
// rows written straight to QuestDB by ILP from Node in the same run, freshness p99 (source timestamp →
// queryable) and the processor's peak RSS. Run after `npm run build`: node bench/dist/pipeline.js
import { spawn } from 'node:child_process';
import { createKafka, PipelineProducer, type OutgoingMessage } from '@millrace/kafka';
import { createLogger } from '@millrace/observability';
import { IlpWriter, QueryClient, type Row } from '@millrace/questdb';
import { TABLES, TOPICS } from '@millrace/schema';
import { epochUs, nowUs } from '@millrace/time';
import { discoverServices, serviceArgs, serviceEnv } from '@millrace/infra';
import { figure, percentile, repoRoot, rssMb, startBenchStack, until } from './common.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 3_000_000);
const TAGS = 200;
const PER_MESSAGE = 100;
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 50_000); // samples/s during the freshness phase
const STEADY_SECONDS = 20;
const PROCESSOR_PORT = 28090;
const BASE_TS = 1_763_000_000_000_000;

type SamplesMessage = OutgoingMessage<typeof TOPICS.samples>;

function batches(prefix: string): SamplesMessage[] {
  const messages: SamplesMessage[] = [];
  const perTag = SAMPLES / TAGS;
  // Interleaved by time as a plant sends them: every tag's next batch, then the next round.
  for (let start = 0; start < perTag; start += PER_MESSAGE) {
    for (let tagIndex = 0; tagIndex < TAGS; tagIndex += 1) {
      const tag = `plant1/bench/${prefix}/cell${tagIndex}/value`;
      const ts: number[] = [];
      const values: number[] = [];
      for (let i = start; i < Math.min(perTag, start + PER_MESSAGE); i += 1) {
        ts.push(BASE_TS + i * 10_000 + tagIndex);
        values.push(Math.sin(i / 50) * 100 + tagIndex);
      }
      messages.push({ key: tag, value: { tag, source: 'bench', ingestTs: BASE_TS, ts, values } });
    }
  }
  return messages;
}

function rowsOf(messages: readonly SamplesMessage[]): Row[] {
  return messages.flatMap(({ value }) =>
    value.ts.map((ts, index) => ({
      ts: epochUs(ts),
      tag: value.tag,
      value: value.values[index] as number,
      quality: 'good',
      source: value.source,
      ingest_ts: epochUs(value.ingestTs),
    })),
  );
}

async function main(): Promise<void> {
  console.log(
    `bench/pipeline: ${SAMPLES.toLocaleString('en-US')} samples, ${TAGS} tags, ${PER_MESSAGE} samples per Kafka message`,
  );
  const stack = await startBenchStack('pipeline');
  const { addresses } = stack;
  const query = new QueryClient({ pgUrl: addresses.questdbPgUrl });
  const countOf = async (prefix: string) =>
    Number(
      (
        await query.query<{ n: string }>(
          `SELECT count() n FROM samples WHERE tag LIKE 'plant1/bench/${prefix}/%'`,
        )
      )[0]?.n ?? 0,
    );
  try {
    // Baseline: the same number of rows, same shape, straight to QuestDB by ILP over HTTP, 50k rows a request.
    const direct = rowsOf(batches('direct'));
    const writer = await IlpWriter.connect({ httpUrl: addresses.questdbUrl });
    let t0 = performance.now();
    for (let offset = 0; offset < direct.length; offset += 50_000)
      await writer.write(TABLES.samples, direct.slice(offset, offset + 50_000));
    await until(async () => (await countOf('direct')) === SAMPLES, 300_000, 'direct rows');
    const directRate = SAMPLES / ((performance.now() - t0) / 1000);
    await writer.close();

    // Pipeline: all samples produced to Kafka first, then the processor drains the topic into QuestDB.
    const kafka = createKafka({
      brokers: addresses.kafkaBrokers,
      clientId: 'bench',
      logger: createLogger('bench', 'error'),
    });
    const producer = new PipelineProducer(kafka, 'bench');
    await producer.connect();
    const messages = batches('kafka');
    t0 = performance.now();
    for (let offset = 0; offset < messages.length; offset += 500)
      await producer.send(TOPICS.samples, messages.slice(offset, offset + 500));
    const produceRate = SAMPLES / ((performance.now() - t0) / 1000);

    const service = discoverServices(repoRoot, () => undefined).find(
      (entry) => entry.name === 'stream-processor',
    );
    if (!service) throw new Error('stream-processor is not built: npm run build');
    // Launched as `millrace start` launches it: same node flags (its heap bound), same env.
    const processor = spawn(process.execPath, serviceArgs(service), {
      env: {
        ...serviceEnv(addresses, `${repoRoot}.millrace/bench-pipeline`, process.env),
        MILLRACE_LOG_LEVEL: 'warn',
        STREAM_PROCESSOR_PORT: String(PROCESSOR_PORT),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    let peakRss = 0;
    const rssTimer = setInterval(() => {
      if (processor.pid) peakRss = Math.max(peakRss, rssMb(processor.pid));
    }, 200);
    try {
      await until(
        async () =>
          (await fetch(`http://127.0.0.1:${PROCESSOR_PORT}/readyz`).catch(() => undefined))?.ok === true,
        60_000,
        'processor ready',
      );
      t0 = performance.now();
      await until(async () => (await countOf('kafka')) === SAMPLES, 600_000, 'pipeline rows', 250);
      const pipelineRate = SAMPLES / ((performance.now() - t0) / 1000);

      // Freshness: a steady stream with source time = now, and a probe tag polled until each probe is queryable.
      const probeTag = 'plant1/bench/probe/cell0/value';
      const sent = new Map<number, number>();
      const freshness: number[] = [];
      let stop = false;
      let stopAt = Number.POSITIVE_INFINITY;
      const poller = (async () => {
        let seen = 0;
        while (!stop || sent.size > 0) {
          const rows = await query.query<{ ts: number }>(
            `SELECT ts FROM samples WHERE tag = $1 AND ts > $2`,
            [probeTag, new Date(seen / 1000).toISOString()],
          );
          const at = nowUs();
          for (const { ts } of rows) {
            if (sent.delete(ts)) freshness.push((at - ts) / 1000);
            seen = Math.max(seen, ts);
          }
          if (stop && Date.now() > stopAt + 10_000) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const perTick = Math.max(1, Math.round(STEADY_RATE / 10 / PER_MESSAGE)); // messages every 100 ms
      for (let tick = 0; tick < STEADY_SECONDS * 10; tick += 1) {
        const tickStart = Date.now();
        const ts = nowUs();
        const steady: SamplesMessage[] = [];
        for (let m = 0; m < perTick; m += 1) {
          const tag = `plant1/bench/steady/cell${m % TAGS}/value`;
          steady.push({
            key: tag,
            value: {
              tag,
              source: 'bench',
              ingestTs: ts,
              ts: Array.from({ length: PER_MESSAGE }, (_, i) => ts - PER_MESSAGE + i),
              values: Array.from({ length: PER_MESSAGE }, (_, i) => i),
            },
          });
        }
        steady.push({
          key: probeTag,
          value: { tag: probeTag, source: 'bench', ingestTs: ts, ts: [ts], values: [tick] },
        });
        sent.set(ts, ts);
        await producer.send(TOPICS.samples, steady);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - tickStart))));
      }
      stop = true;
      stopAt = Date.now();
      await poller;
      await producer.disconnect();

      console.log('');
      figure('direct ILP from Node (baseline)', directRate, 'samples/s', 'baseline');
      figure('produce to Kafka (bench producer)', produceRate, 'samples/s', 'information');
      figure('end-to-end Kafka → QuestDB (stream-processor)', pipelineRate, 'samples/s', '≥ 150,000');
      figure('ratio end-to-end / direct', pipelineRate / directRate, '×', '≥ 0.5');
      figure('freshness p50', percentile(freshness, 50), 'ms', 'information');
      figure('freshness p99', percentile(freshness, 99), 'ms', '≤ 2,000');
      figure('freshness probes lost', sent.size, '', '0');
      figure('processor peak RSS', peakRss, 'MB', '≤ 200');
    } finally {
      clearInterval(rssTimer);
      processor.kill('SIGTERM');
      await new Promise((resolve) => processor.once('exit', resolve));
    }
  } finally {
    await query.end();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
