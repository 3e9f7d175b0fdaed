import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PROFILES } from '@millrace/file-profiles';
import { fixtureFile } from '@millrace/file-profiles/testing';
import { createKafka, ensureTopics, PipelineProducer } from '@millrace/kafka';
import { uniqueTopic } from '@millrace/kafka/testing';
import { createLogger } from '@millrace/observability';
import { deadLetterTopicOf, TOPICS } from '@millrace/schema';
import { FileIngestor } from './ingestor.js';
import { Ledger } from './ledger.js';

/**
 * Figures of the issue: MB/s and rows/s of one large PLTCM-style MEAS file (12 columns, 11 samples
 * a row) into Kafka, and the time from dropping a 10 MB file to every row acknowledged.
 * `node bench/ingest-files.mjs [bigMB=100] [dropMB=10] [drops=5]`, against MILLRACE_KAFKA_BROKERS.
 */
async function main(): Promise<void> {
  const [bigMb = 100, dropMb = 10, drops = 5] = process.argv.slice(2).map(Number);
  const brokers = (process.env.MILLRACE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const logger = createLogger('ingest-files-bench', 'warn');
  const kafka = createKafka({ brokers, clientId: 'ingest-files-bench', logger });
  const producer = new PipelineProducer(kafka, 'ingest-files-bench');
  await producer.connect();
  const topics = {
    samples: uniqueTopic(TOPICS.samples, 'bench'),
    records: uniqueTopic(TOPICS.records, 'bench'),
  };
  await ensureTopics(kafka, [
    topics.samples,
    topics.records,
    deadLetterTopicOf(topics.samples),
    deadLetterTopicOf(topics.records),
  ]);
  const root = mkdtempSync(join(tmpdir(), 'ingest-files-bench-'));
  const ledger = Ledger.open(join(root, 'ledger'));
  const ingestor = new FileIngestor({
    producer,
    topics,
    profiles: DEFAULT_PROFILES,
    ledger,
    plantTimeZone: 'Europe/Berlin',
    logger,
  });
  // A MEAS row (timestamp + 11 decimal-comma values) is ~102 bytes; measured, so "100 MB" is 100 MB.
  const sample = fixtureFile('MEAS', { coilId: 'SIZE', startWallMs: Date.UTC(2025, 0, 13), rows: 10_000 });
  const bytesPerRow = sample.bytes.length / sample.rows;
  const file = (mb: number, coilId: string, day = 0) =>
    fixtureFile('MEAS', {
      coilId,
      startWallMs: Date.UTC(2025, 0, 13 + day),
      rows: Math.round((mb * 1e6) / bytesPerRow),
    });
  try {
    const big = file(bigMb, 'BENCHBIG');
    const bigPath = join(root, big.name);
    writeFileSync(bigPath, big.bytes);
    const t0 = performance.now();
    const outcome = await ingestor.ingest(bigPath);
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `throughput: ${(big.bytes.length / 1e6).toFixed(1)} MB, ${big.rows} rows (${big.rows * 11} samples) in ${seconds.toFixed(2)} s: ` +
        `${(big.bytes.length / 1e6 / seconds).toFixed(1)} MB/s, ${Math.round(big.rows / seconds)} rows/s (${outcome.status})`,
    );

    const latencies: number[] = [];
    for (let run = 0; run < drops; run += 1) {
      const small = file(dropMb, `BENCHDROP${run}`, run + 1);
      const temp = join(root, `${small.name}.tmp`);
      writeFileSync(temp, small.bytes);
      const dropped = performance.now();
      renameSync(temp, join(root, small.name));
      await ingestor.ingest(join(root, small.name));
      latencies.push(performance.now() - dropped);
    }
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] ?? 0;
    console.log(
      `drop ${dropMb} MB → every row acknowledged: ${latencies.map((ms) => ms.toFixed(0)).join(', ')} ms; p99 ${p99.toFixed(0)} ms over ${drops} drops`,
    );
  } finally {
    ledger.close();
    await producer.disconnect();
    rmSync(root, { recursive: true, force: true });
    const admin = kafka.admin();
    await admin.connect();
    await admin
      .deleteTopics({
        topics: [topics.samples, topics.records].flatMap((spec) => [spec.name, deadLetterTopicOf(spec).name]),
      })
      .catch(() => undefined);
    await admin.disconnect();
  }
}

await main();
