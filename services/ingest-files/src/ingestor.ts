import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  createProfileMatcher,
  FileChunkReader,
  FileProfileError,
  type BadRow,
  type FileChunk,
  type FileMapping,
  type FileProfile,
} from '@millrace/file-profiles';
import {
  PipelineProducer,
  type createKafka,
  type PipelineSender,
  type RefusedMessage,
  type TopicMessages,
} from '@millrace/kafka';
import type { Logger } from '@millrace/observability';
import type { FileProgress, TOPICS } from '@millrace/schema';
import { nowUs, type EpochUs } from '@millrace/time';
import { IngestFilesError } from './errors.js';
import type { Ledger, LedgerEntry } from './ledger.js';

/**
 * The service's config defaults (INGEST_FILES_CHUNK_ROWS, INGEST_FILES_BATCH_SAMPLES). Measured with
 * bench/ingest-files (LZ4, group commit): 10 000-sample messages, the most the schema allows, against
 * 1 000: 17.3 → 20.3 MB/s and 5.4 → 4.6 s of CPU per 100 MB (kafkajs pays per message). 20 000-row
 * chunks against 5 000: a third of the transactions, ledger fsyncs and socket writes (each write to
 * the broker costs ~0.3 ms here), 61–67 → 71–82 MB/s; 50 000 overlapped reading and sending less.
 */
const DEFAULT_CHUNK_ROWS = 20_000;
const DEFAULT_MAX_CHUNK_ROWS = 50_000;
const DEFAULT_BATCH_SAMPLES = 10_000;

/**
 * The producer a {@link FileIngestor} commits with: transactional, and LZ4, since a file's sample
 * batches are bulk and repetitive (the time deltas of a regular series repeat, and a gauge's
 * quantised values recur): a 100 MB MEAS file's batches shrink from 129 to 6 MB.
 */
export function createFileProducer(
  kafka: ReturnType<typeof createKafka>,
  service: string,
  transactionalId: string,
): PipelineProducer {
  return new PipelineProducer(kafka, service, { transactionalId, compression: 'lz4' });
}

export interface IngestTopics {
  samples: typeof TOPICS.samples;
  records: typeof TOPICS.records;
  progress: typeof TOPICS.fileProgress;
}

export interface FileIngestorOptions {
  /** A transactional producer: each chunk's rows, bad rows and progress are committed together. */
  producer: Pick<PipelineProducer, 'transaction'>;
  /**
   * The progress committed to Kafka before this process started (read from `topics.progress`); kept
   * up to date as files are read. Where it is ahead of the local ledger (a crash between a commit
   * and the ledger's fsync), it decides where a file resumes.
   */
  committed: Map<string, FileProgress>;
  /** Passed in (not read from TOPICS here) so tests can use unique copies. */
  topics: IngestTopics;
  profiles: readonly FileProfile[];
  ledger: Ledger;
  plantTimeZone: string;
  logger: Logger;
  /** Rows of a chunk (one Kafka transaction, one ledger fsync) when the previous chunk is already committed. */
  chunkRows?: number;
  /** Rows a chunk may grow to while the previous one is still being committed (at least `chunkRows`). */
  maxChunkRows?: number;
  /** Samples per `plant.samples.v1` message, 1 to 10 000 (the schema's bound; ChunkBuilder refuses more). */
  batchSamples?: number;
  retryMaxMs?: number;
  now?: () => EpochUs;
  /** Told the tags (and units) of each file's samples once its header is read. */
  onSampleTags?: (tags: FileMapping['sampleTags']) => void;
}

export interface IngestProgress {
  bytesRead: number;
  rows: number;
}

export type IngestOutcome =
  | {
      status: 'ingested';
      profile: string;
      checksum: string;
      rows: number;
      badRows: number;
      resumedAfterLine: number;
    }
  | { status: 'duplicate'; profile: string; checksum: string }
  | { status: 'unmatched'; reason: string }
  | { status: 'rejected'; profile: string; reason: string };

/**
 * Reads one flat file into Kafka, streaming (never the whole file in memory), resumable and
 * idempotent through the ledger:
 * - the file is known by its content's sha256; a file the ledger has as done is skipped;
 * - rows go out in chunks, each in one Kafka transaction with its bad rows (to the DLQ) and the file's
 *   progress (`ingest.files.progress.v1`): a crash mid-chunk leaves nothing of it visible (the restarted
 *   producer aborts it), a crash after the commit finds the progress, so the file resumes right after
 *   the last committed row: no gap and no duplicate. The local ledger follows each commit as a cache;
 * - the file is read and encoded in a worker thread ({@link FileChunkReader}) while the previous
 *   chunk is committed here; all it read meanwhile (up to `maxChunkRows`) goes in the next
 *   transaction: group commit, so a slow broker gets fewer, larger transactions; a chunk is sent only
 *   after the previous one is acknowledged, so a failed send never leaves a later chunk in Kafka;
 * - Kafka unreachable: the send is retried with backoff for as long as it takes; the reader waits
 *   (the file on disk is the spool).
 */
export class FileIngestor {
  private readonly match: (fileName: string) => FileProfile | undefined;
  private readonly chunkRows: number;
  private readonly maxChunkRows: number;
  private readonly batchSamples: number;
  private readonly retryMaxMs: number;
  private readonly now: () => EpochUs;

  constructor(private readonly options: FileIngestorOptions) {
    this.match = createProfileMatcher(options.profiles);
    this.chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
    this.maxChunkRows = Math.max(this.chunkRows, options.maxChunkRows ?? DEFAULT_MAX_CHUNK_ROWS);
    this.batchSamples = options.batchSamples ?? DEFAULT_BATCH_SAMPLES;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.now = options.now ?? nowUs;
  }

  profileOf(fileName: string): FileProfile | undefined {
    return this.match(fileName);
  }

  async ingest(
    path: string,
    options: { signal?: AbortSignal; onProgress?: (progress: IngestProgress) => void } = {},
  ): Promise<IngestOutcome> {
    const fileName = basename(path);
    const profile = this.match(fileName);
    if (profile === undefined) return { status: 'unmatched', reason: `${fileName} matches no file profile` };
    const { size, mtimeMs } = await stat(path);
    const checksum = await sha256(path);
    const local = this.options.ledger.get(checksum);
    const committed = this.options.committed.get(checksum);
    const known =
      committed && (!local || committed.line > local.line || committed.state === 'done') ? committed : local;
    if (known?.state === 'done') return { status: 'duplicate', profile: profile.name, checksum };

    const entry: LedgerEntry = {
      checksum,
      path,
      size,
      mtimeMs,
      profile: profile.name,
      state: 'reading',
      line: known?.line ?? 0,
      rows: known?.rows ?? 0,
      badRows: known?.badRows ?? 0,
      at: new Date().toISOString(),
    };
    const resumedAfterLine = entry.line;
    if (resumedAfterLine > 0) {
      this.options.logger.info(
        { file: path, line: resumedAfterLine },
        'resuming a half-read file after its last acknowledged line',
      );
    }
    try {
      await this.readFile(path, fileName, profile, entry, options);
    } catch (error) {
      if (error instanceof FileProfileError)
        return { status: 'rejected', profile: profile.name, reason: error.message };
      throw error;
    }
    await this.commit({ ...entry, state: 'done' }, () => [], fileName, options.signal);
    return {
      status: 'ingested',
      profile: profile.name,
      checksum,
      rows: entry.rows,
      badRows: entry.badRows,
      resumedAfterLine,
    };
  }

  private async readFile(
    path: string,
    fileName: string,
    profile: FileProfile,
    entry: LedgerEntry,
    options: { signal?: AbortSignal; onProgress?: (progress: IngestProgress) => void },
  ): Promise<void> {
    const { topics } = this.options;
    const dlqSpec = profile.record ? topics.records : topics.samples;
    const reader = new FileChunkReader(
      {
        path,
        fileName,
        profile,
        plantTimeZone: this.options.plantTimeZone,
        resumeAfterLine: entry.line,
        chunkRows: this.chunkRows,
        batchSamples: this.batchSamples,
      },
      // Read ahead up to two whole transactions more: the next commit never waits for the reader, and
      // the reader goes on while a commit waits on the broker and the ledger's fsync.
      2 * Math.ceil(this.maxChunkRows / this.chunkRows) + 1,
      (tags) => this.options.onSampleTags?.(tags),
    );
    try {
      // Reading runs in the reader's thread meanwhile; what it read during a commit goes in the next one.
      for (
        let chunks = await reader.take(this.maxChunkRows);
        chunks;
        chunks = await reader.take(this.maxChunkRows)
      ) {
        if (options.signal?.aborted) throw abortError(fileName);
        const last = chunks.at(-1) as FileChunk;
        const upTo = {
          line: last.lastLine,
          rows: entry.rows + sum(chunks, (chunk) => chunk.rows),
          badRows: entry.badRows + sum(chunks, (chunk) => chunk.badRows),
        };
        await this.commit(
          { ...entry, ...upTo },
          (tx) => [
            // Encoded by ChunkBuilder and checked by its spec against the schemas: see PipelineSender.sendEncoded.
            tx.encoded(
              topics.samples,
              chunks.flatMap((chunk) => chunk.samples),
            ),
            tx.encoded(
              topics.records,
              chunks.flatMap((chunk) => chunk.records),
            ),
            tx.deadLetters(
              dlqSpec,
              chunks.flatMap((chunk) =>
                chunk.bad.map((row) => ({
                  message: refused(row, fileName),
                  reason: `${fileName}:${row.line}: ${row.reason}`,
                })),
              ),
            ),
          ],
          fileName,
          options.signal,
        );
        Object.assign(entry, upTo);
        options.onProgress?.({ bytesRead: last.bytesRead, rows: entry.rows });
      }
    } finally {
      await reader.stop();
    }
  }

  /** Commits `parts` and the file's progress in one transaction and one produce request (retried while Kafka is away), then notes both. */
  private async commit(
    entry: LedgerEntry,
    parts: (tx: PipelineSender) => TopicMessages[],
    fileName: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const progress: FileProgress = {
      checksum: entry.checksum,
      path: entry.path,
      state: entry.state,
      line: entry.line,
      rows: entry.rows,
      badRows: entry.badRows,
      ts: this.now(),
    };
    await this.sendWithRetry(
      () =>
        this.options.producer.transaction((tx) =>
          tx.sendBatch([
            ...parts(tx),
            tx.validated(this.options.topics.progress, [{ key: entry.checksum, value: progress }]),
          ]),
        ),
      fileName,
      signal,
    );
    this.options.committed.set(entry.checksum, progress);
    this.options.ledger.record({ ...entry, at: new Date().toISOString() });
  }

  /** Retries a send while the error allows it (the producer's are network failures), backing off up to retryMaxMs. */
  private async sendWithRetry(
    send: () => Promise<void>,
    fileName: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await send();
        if (attempt > 0)
          this.options.logger.info({ file: fileName, attempt }, 'Kafka reachable again; reading on');
        return;
      } catch (error) {
        // encodeMessage throws a TypeError for a message its schema refuses: a bug in the mapping, not an outage.
        if (error instanceof TypeError) {
          throw new IngestFilesError(
            `${fileName}: a message failed its schema: ${error.message}`,
            false,
            { file: fileName },
            { cause: error },
          );
        }
        if (signal?.aborted) throw abortError(fileName);
        const waitMs = Math.min(this.retryMaxMs, 500 * 2 ** Math.min(attempt, 10));
        this.options.logger.warn(
          { file: fileName, attempt: attempt + 1, waitMs, err: (error as Error).message },
          'cannot send to Kafka; reading paused, retrying (the file stays on disk)',
        );
        await sleep(waitMs, signal);
      }
    }
  }
}

function refused(row: BadRow, fileName: string): RefusedMessage {
  return {
    key: null,
    value: Buffer.from(row.raw, 'utf8'),
    location: `${fileName}:${row.line}`,
  };
}

function abortError(fileName: string): IngestFilesError {
  return new IngestFilesError(
    `${fileName}: reading stopped (shutting down); it resumes at the next start`,
    true,
    {
      file: fileName,
    },
  );
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** sha256 of a file, streamed. */
export function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (data) => hash.update(data))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
