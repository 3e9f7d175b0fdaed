import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PROFILES } from '@millrace/file-profiles';
import { fixtureFile, semicolonTime, type FixtureKind } from '@millrace/file-profiles/testing';
import type { PipelineProducer } from '@millrace/kafka';
import { createKafka, ensureTopics, readRanges } from '@millrace/kafka';
import { uniqueTopic, waitFor } from '@millrace/kafka/testing';
import { createLogger } from '@millrace/observability';
import {
  decodeMessage,
  deadLetterTopicOf,
  TOPICS,
  type DeadLetter,
  type PlantRecord,
  type SampleBatch,
} from '@millrace/schema';
import type { Consumer, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DropFolder } from './drop-folder.js';
import { createFileProducer, FileIngestor, type IngestTopics } from './ingestor.js';
import { Ledger } from './ledger.js';

const logger = createLogger('ingest-files-int-test', 'warn');
const serviceDir = fileURLToPath(new URL('../', import.meta.url));
const start = Date.UTC(2025, 0, 13, 23, 56, 40);

/** Everything that reached a test's topics, decoded. */
class TopicLog {
  readonly samples: SampleBatch[] = [];
  readonly records: PlantRecord[] = [];
  readonly dead: DeadLetter[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: IngestTopics,
  ) {}

  async start(): Promise<void> {
    const { samples, records } = this.topics;
    const deadNames = new Set([deadLetterTopicOf(samples).name, deadLetterTopicOf(records).name]);
    this.consumer = this.kafka.consumer({ groupId: `${samples.name}.reader` });
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [samples.name, records.name, ...deadNames],
      fromBeginning: true,
    });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const bytes = message.value === null ? null : new Uint8Array(message.value);
        if (topic === samples.name) this.samples.push(decoded(decodeMessage(samples, bytes)));
        else if (topic === records.name) this.records.push(decoded(decodeMessage(records, bytes)));
        else this.dead.push(decoded(decodeMessage(deadLetterTopicOf(samples), bytes)));
      },
    });
  }

  sampleCount(): number {
    return this.samples.reduce((sum, batch) => sum + batch.ts.length, 0);
  }

  /** (tag, ts) pairs seen more than once. */
  duplicateSamples(): number {
    const seen = new Set<string>();
    let duplicates = 0;
    for (const batch of this.samples)
      for (const ts of batch.ts) {
        const key = `${batch.tag}@${ts}`;
        if (seen.has(key)) duplicates += 1;
        seen.add(key);
      }
    return duplicates;
  }

  stop(): Promise<void> {
    return this.consumer?.disconnect() ?? Promise.resolve();
  }
}

function decoded<T>(result: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

async function topicsFor(kafka: Kafka, label: string): Promise<IngestTopics> {
  const topics = {
    samples: uniqueTopic(TOPICS.samples, label),
    records: uniqueTopic(TOPICS.records, label),
    progress: uniqueTopic(TOPICS.fileProgress, label),
  };
  await ensureTopics(kafka, [
    topics.samples,
    topics.records,
    topics.progress,
    deadLetterTopicOf(topics.samples),
    deadLetterTopicOf(topics.records),
  ]);
  return topics;
}

/** Writes as the line's machines do: under `.tmp`, then renamed. */
function drop(dir: string, name: string, bytes: Buffer): void {
  writeFileSync(join(dir, `${name}.tmp`), bytes);
  renameSync(join(dir, `${name}.tmp`), join(dir, name));
}

describe('ingest-files against a real broker', () => {
  let kafka: Kafka;
  let producer: PipelineProducer;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    kafka = createKafka({ brokers: inject('stack').kafkaBrokers, clientId: 'ingest-files-int-test', logger });
    producer = createFileProducer(kafka, 'ingest-files-int-test', `ingest-files-int-test-${randomUUID()}`);
    await producer.connect();
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await producer.disconnect();
  });

  async function watchedFolder(label: string) {
    const root = mkdtempSync(join(tmpdir(), `ingest-files-${label}-`));
    const dropDir = join(root, 'drop');
    const topics = await topicsFor(kafka, label);
    const ledger = Ledger.open(join(root, 'ledger'));
    const ingestor = new FileIngestor({
      producer,
      topics,
      committed: new Map(),
      profiles: DEFAULT_PROFILES,
      ledger,
      plantTimeZone: 'Europe/Berlin',
      logger,
      chunkRows: 500,
    });
    const folder = new DropFolder({ dir: dropDir, ingestor, logger, rescanIntervalMs: 200 });
    await folder.start();
    const log = new TopicLog(kafka, topics);
    await log.start();
    cleanups.push(async () => {
      await folder.stop();
      await log.stop();
      ledger.close();
      rmSync(root, { recursive: true, force: true });
    });
    return { dropDir, log };
  }

  it('reads the six demo-plant files once each; junk is rejected with a reason, .tmp is left alone, a re-drop is skipped', async () => {
    const { dropDir, log } = await watchedFolder('all');
    const kinds: FixtureKind[] = ['COIL', 'COILER', 'STRIP', 'MEAS', 'SEG', 'SETUP'];
    const files = kinds.map((kind) =>
      fixtureFile(kind, { coilId: '1736809000B100', startWallMs: start, rows: 1_234 }),
    );
    for (const file of files) drop(dropDir, file.name, file.bytes);
    drop(dropDir, 'notes.txt', Buffer.from('not a plant file'));
    writeFileSync(join(dropDir, 'MEAS_still-writing.csv.tmp'), 'partial');

    const rowsOf = (kind: FixtureKind) => files[kinds.indexOf(kind)]?.rows ?? 0;
    // Samples: COILER 3, STRIP 3, MEAS 11 columns; records: one per row of COIL, COILER, STRIP, SEG, SETUP.
    const expectedSamples = rowsOf('COILER') * 3 + rowsOf('STRIP') * 3 + rowsOf('MEAS') * 11;
    const expectedRecords =
      rowsOf('COIL') + rowsOf('COILER') + rowsOf('STRIP') + rowsOf('SEG') + rowsOf('SETUP');
    await waitFor(() => readdirSync(join(dropDir, 'done')).length === 6, 60_000, 'six files in done/');
    await waitFor(
      () => log.sampleCount() >= expectedSamples && log.records.length >= expectedRecords,
      30_000,
      'every row',
    );
    expect(log.duplicateSamples()).toBe(0);
    expect(log.sampleCount()).toBe(expectedSamples);
    expect(log.records.length).toBe(expectedRecords);
    expect(new Set(log.samples.map((batch) => batch.tag)).size).toBe(17);
    expect(log.records.filter((record) => record.kind === 'setup')).toHaveLength(5);
    expect(log.dead).toHaveLength(0);

    expect(readFileSync(join(dropDir, 'rejected', 'notes.txt.reason.txt'), 'utf8')).toMatch(
      /matches no file profile/,
    );
    expect(existsSync(join(dropDir, 'MEAS_still-writing.csv.tmp'))).toBe(true);

    const coil = files[0];
    if (!coil) throw new Error('no COIL fixture');
    drop(dropDir, coil.name, coil.bytes);
    await waitFor(
      () => existsSync(join(dropDir, 'done', `${coil.name}.1`)),
      30_000,
      're-dropped file in done/',
    );
    expect(log.records.filter((record) => record.kind === 'coil')).toHaveLength(1);
  });

  it('sends bad rows to the DLQ with file:line and reason while good rows go through; a file its profile cannot read is rejected', async () => {
    const { dropDir, log } = await watchedFolder('bad');
    const good = fixtureFile('STRIP', { coilId: 'C42', startWallMs: start, rows: 20 });
    const lines = good.bytes.toString('utf8').split('\r\n');
    lines[4] = `${semicolonTime(start + 2_000)};zwölf;390,0;0`; // line 5: not a number
    lines[7] = `${semicolonTime(Date.UTC(2025, 2, 30, 2, 30))};1,0;390,0;0`; // line 8: inside the DST gap
    lines[10] = '13.01.2025 23:56:48,000;1,0'; // line 11: too few cells
    drop(dropDir, good.name, Buffer.from(lines.join('\r\n'), 'utf8'));
    drop(dropDir, 'COILER_C42.txt', Buffer.from('Time\tCoilerTension[kN]\n2025-01-13 23:56:40.000\t1.0\n'));

    await waitFor(
      // Samples and records go to two topics at once: wait for both, not for whichever lands first.
      () => log.dead.length >= 3 && log.records.length >= 17 && log.sampleCount() >= 17 * 3,
      30_000,
      'dead letters and good rows',
    );
    expect(log.dead.map((dead) => dead.location).sort()).toEqual([
      'STRIP_C42.csv:11',
      'STRIP_C42.csv:5',
      'STRIP_C42.csv:8',
    ]);
    const reasons = Object.fromEntries(log.dead.map((dead) => [dead.location, dead.reason]));
    expect(reasons['STRIP_C42.csv:5']).toMatch(/StripPosition: "zwölf" is not a number/);
    expect(reasons['STRIP_C42.csv:8']).toMatch(/does not exist in Europe\/Berlin/);
    expect(reasons['STRIP_C42.csv:11']).toMatch(/expected 4 cells, got 2/);
    expect(Buffer.from(log.dead[0]?.value ?? '', 'base64').toString('utf8')).toContain(';');
    expect(log.records).toHaveLength(17);
    expect(log.sampleCount()).toBe(17 * 3);

    await waitFor(
      () => existsSync(join(dropDir, 'rejected', 'COILER_C42.txt.reason.txt')),
      30_000,
      'rejected COILER',
    );
    expect(readFileSync(join(dropDir, 'rejected', 'COILER_C42.txt.reason.txt'), 'utf8')).toMatch(
      /lacks column\(s\) CoilerDiameter, CoilerSpeed/,
    );
  });

  it('kill -9 mid-file: the restart finishes it with no gap and no duplicate', async () => {
    const built = join(serviceDir, 'dist', 'ingestor.js');
    if (!existsSync(built)) throw new Error(`${built} missing: run npx tsc -b services/ingest-files first`);
    const root = mkdtempSync(join(tmpdir(), 'ingest-files-kill-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const topics = await topicsFor(kafka, 'kill');
    const file = fixtureFile('MEAS', { coilId: 'K1', startWallMs: start, rows: 60_000 });
    const path = join(root, file.name);
    writeFileSync(path, file.bytes);
    const ledgerDir = join(root, 'ledger');
    const options = {
      brokers: inject('stack').kafkaBrokers,
      samplesTopic: topics.samples.name,
      recordsTopic: topics.records.name,
      progressTopic: topics.progress.name,
      // The same id across the kill: the restarted producer aborts the transaction the kill left open.
      transactionalId: `ingest-child-${randomUUID()}`,
      ledgerDir,
      // Fixed-size chunks (no group commit), so there are chunks to count before the kill.
      chunkRows: 1_000,
      maxChunkRows: 1_000,
    };
    const run = (): { child: ChildProcess; exit: Promise<number | null> } => {
      const child = spawn(process.execPath, [join(serviceDir, 'src', 'testing', 'ingest-child.mjs'), path], {
        env: { ...process.env, INGEST_CHILD_OPTIONS: JSON.stringify(options) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      cleanups.push(() => void child.kill('SIGKILL'));
      return { child, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
    };
    const ledgerLines = () =>
      existsSync(join(ledgerDir, 'ledger.jsonl'))
        ? readFileSync(join(ledgerDir, 'ledger.jsonl'), 'utf8').split('\n').length - 1
        : 0;

    const first = run();
    await waitFor(() => ledgerLines() >= 10, 60_000, 'ten chunks acknowledged');
    first.child.kill('SIGKILL');
    expect(await first.exit).toBeNull();
    const partial = readFileSync(join(ledgerDir, 'ledger.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { state: string; rows: number });
    expect(partial.at(-1)?.state).toBe('reading');
    expect(partial.at(-1)?.rows).toBeLessThan(file.rows);

    const second = run();
    let output = '';
    second.child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    expect(await second.exit).toBe(0);
    // Log lines (pino, stdout) come first; the outcome is the last line.
    const outcome = output.trim().split('\n').at(-1) ?? '';
    expect(JSON.parse(outcome), output).toMatchObject({ status: 'ingested', rows: file.rows, badRows: 0 });

    // Read the topic to its end, committed messages only (what read_committed consumers see).
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topics.samples.name);
    await admin.disconnect();
    const log = new TopicLog(kafka, topics);
    await readRanges({
      kafka,
      topic: topics.samples.name,
      ranges: offsets.map((offset) => ({ partition: offset.partition, start: offset.low, end: offset.high })),
      onBatch: async (messages) => {
        for (const message of messages)
          log.samples.push(decoded(decodeMessage(topics.samples, message.value)));
      },
    });
    // Read committed: every (tag, ts) of the file exactly once; what the kill left open was aborted.
    expect(log.duplicateSamples()).toBe(0);
    expect(log.sampleCount()).toBe(file.rows * 11);
  });
});
