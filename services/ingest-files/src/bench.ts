import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestFilesConfigSchema, loadConfig } from '@millrace/config';
import { DEFAULT_PROFILES } from '@millrace/file-profiles';
import { fixtureFile } from '@millrace/file-profiles/testing';
import { createKafka, ensureTopics } from '@millrace/kafka';
import { uniqueTopic } from '@millrace/kafka/testing';
import { createLogger } from '@millrace/observability';
import { deadLetterTopicOf, TOPICS } from '@millrace/schema';
import { DropFolder } from './drop-folder.js';
import { createFileProducer, FileIngestor, type IngestOutcome } from './ingestor.js';
import { Ledger } from './ledger.js';

const GOAL_MB_PER_S = 50;
const GOAL_P99_MS = 1_000;
const WARM_UP_MB = 30;

/**
 * Figures of the issue: MB/s and rows/s of one large PLTCM-style MEAS file (12 columns, 11 samples
 * a row) into Kafka, after a first file of 30 MB (its cold rate is printed too), and the time from dropping a 10 MB file into a watched drop folder to every
 * row acknowledged (acks=all), over several drops. Runs the service's own config
 * (INGEST_FILES_CHUNK_ROWS, INGEST_FILES_BATCH_SAMPLES, MILLRACE_KAFKA_BROKERS from the env, else
 * the defaults) against unique topics, deleted afterwards.
 * `node bench/ingest-files.mjs [bigMB=100] [dropMB=10] [drops=5]`
 */
async function main(): Promise<void> {
  const [bigMb = 100, dropMb = 10, drops = 5] = process.argv.slice(2).map(Number);
  const config = loadConfig(ingestFilesConfigSchema, { env: process.env });
  const logger = createLogger('ingest-files-bench', 'warn');
  const kafka = createKafka({
    brokers: config.MILLRACE_KAFKA_BROKERS,
    clientId: 'ingest-files-bench',
    logger,
  });
  const producer = createFileProducer(kafka, 'ingest-files-bench', `ingest-files-bench-${process.pid}`);
  await producer.connect();
  const topics = {
    samples: uniqueTopic(TOPICS.samples, 'bench'),
    records: uniqueTopic(TOPICS.records, 'bench'),
    progress: uniqueTopic(TOPICS.fileProgress, 'bench'),
  };
  await ensureTopics(kafka, [
    topics.samples,
    topics.records,
    topics.progress,
    deadLetterTopicOf(topics.samples),
    deadLetterTopicOf(topics.records),
  ]);
  const root = mkdtempSync(join(tmpdir(), 'ingest-files-bench-'));
  const ledger = Ledger.open(join(root, 'ledger'));
  const ingestor = new FileIngestor({
    producer,
    topics,
    committed: new Map(),
    profiles: DEFAULT_PROFILES,
    ledger,
    plantTimeZone: 'Europe/Berlin',
    logger,
    chunkRows: config.INGEST_FILES_CHUNK_ROWS,
    maxChunkRows: config.INGEST_FILES_MAX_CHUNK_ROWS,
    batchSamples: config.INGEST_FILES_BATCH_SAMPLES,
  });
  // A MEAS row (timestamp + 11 decimal-comma values) is ~102 bytes; measured, so "100 MB" is 100 MB.
  const sizing = fixtureFile('MEAS', { coilId: 'SIZE', startWallMs: Date.UTC(2025, 0, 13), rows: 10_000 });
  const bytesPerRow = sizing.bytes.length / sizing.rows;
  const file = (mb: number, coilId: string, day = 0) =>
    fixtureFile('MEAS', {
      coilId,
      startWallMs: Date.UTC(2025, 0, 13 + day),
      rows: Math.round((mb * 1e6) / bytesPerRow),
    });
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
  console.log(
    `ingest-files bench: Kafka ${config.MILLRACE_KAFKA_BROKERS.join(',')}, ${config.INGEST_FILES_CHUNK_ROWS}–${config.INGEST_FILES_MAX_CHUNK_ROWS} rows a chunk, ` +
      `${config.INGEST_FILES_BATCH_SAMPLES} samples a message; load average before: ${load()}`,
  );
  let folder: DropFolder | undefined;
  try {
    // The first file after a start runs on cold code: this process's (JIT, the reader thread) and the
    // broker's (a fresh JVM). Reported, then the figure is taken on the next file, as a running service reads.
    const warmUp = file(WARM_UP_MB, 'BENCHWARMUP', 100);
    const warmUpPath = join(root, warmUp.name);
    writeFileSync(warmUpPath, warmUp.bytes);
    const warmUpStart = performance.now();
    const warmUpOutcome = await ingestor.ingest(warmUpPath);
    if (warmUpOutcome.status !== 'ingested')
      throw new Error(`warm-up file: ${JSON.stringify(warmUpOutcome)}`);
    console.log(
      `first file after start (cold): ${(warmUp.bytes.length / 1e6 / ((performance.now() - warmUpStart) / 1000)).toFixed(1)} MB/s ` +
        `(${(warmUp.bytes.length / 1e6).toFixed(1)} MB; not the figure)`,
    );

    const big = file(bigMb, 'BENCHBIG');
    const bigPath = join(root, big.name);
    writeFileSync(bigPath, big.bytes);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const outcome = await ingestor.ingest(bigPath);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (outcome.status !== 'ingested' || outcome.rows !== big.rows)
      throw new Error(`big file: ${JSON.stringify(outcome)}, expected ${big.rows} rows`);
    const mb = big.bytes.length / 1e6;
    console.log(
      `throughput: ${(mb / seconds).toFixed(1)} MB/s  (goal: ≥ ${GOAL_MB_PER_S} MB/s)  — ${mb.toFixed(1)} MB in ${seconds.toFixed(2)} s; ` +
        `process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; load average ${load()}`,
    );
    console.log(
      `throughput: ${Math.round(big.rows / seconds).toLocaleString('en-US')} rows/s  (${Math.round((big.rows * 11) / seconds).toLocaleString('en-US')} samples/s; goal: ≥ ${Math.round((GOAL_MB_PER_S * 1e6) / bytesPerRow).toLocaleString('en-US')} rows/s, i.e. ${GOAL_MB_PER_S} MB/s of these rows)`,
    );

    // The drop: a writer's `.tmp` renamed in a watched folder, to the folder's outcome (every row acknowledged).
    const dropDir = join(root, 'drop');
    mkdirSync(dropDir);
    const outcomes = new Map<string, (outcome: IngestOutcome) => void>();
    folder = new DropFolder({
      dir: dropDir,
      ingestor,
      logger,
      rescanIntervalMs: config.INGEST_FILES_RESCAN_INTERVAL_MS,
      onOutcome: (name, result) => outcomes.get(name)?.(result),
    });
    await folder.start();
    const latencies: number[] = [];
    for (let run = 0; run < drops; run += 1) {
      const small = file(dropMb, `BENCHDROP${run}`, run + 1);
      const temp = join(dropDir, `${small.name}.tmp`);
      writeFileSync(temp, small.bytes);
      const done = new Promise<IngestOutcome>((resolve) => outcomes.set(small.name, resolve));
      const dropped = performance.now();
      renameSync(temp, join(dropDir, small.name));
      const result = await done;
      latencies.push(performance.now() - dropped);
      if (result.status !== 'ingested' || result.rows !== small.rows)
        throw new Error(`drop ${run}: ${JSON.stringify(result)}, expected ${small.rows} rows`);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
    console.log(
      `drop ${dropMb} MB → every row acknowledged, p99: ${p99.toFixed(0)} ms  (goal: ≤ ${GOAL_P99_MS} ms)  — ` +
        `${drops} drops: ${latencies.map((ms) => ms.toFixed(0)).join(', ')} ms; load average ${load()}`,
    );
  } finally {
    await folder?.stop();
    ledger.close();
    await producer.disconnect();
    rmSync(root, { recursive: true, force: true });
    const admin = kafka.admin();
    await admin.connect();
    await admin
      .deleteTopics({
        topics: [
          topics.progress.name,
          ...[topics.samples, topics.records].flatMap((spec) => [spec.name, deadLetterTopicOf(spec).name]),
        ],
      })
      .catch(() => undefined);
    await admin.disconnect();
  }
}

await main();
