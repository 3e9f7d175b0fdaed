import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  ChunkBuilder,
  compileFileMapping,
  CsvReader,
  createProfileMatcher,
  FileProfileError,
  type FileMapping,
  type FileProfile,
} from '@millrace/file-profiles';
import type { PipelineProducer, PipelineSender, RefusedMessage, TopicMessages } from '@millrace/kafka';
import type { Logger } from '@millrace/observability';
import type { FileProgress, TOPICS } from '@millrace/schema';
import { nowUs, type EpochUs } from '@millrace/time';
import { IngestFilesError } from './errors.js';
import type { Ledger, LedgerEntry } from './ledger.js';

/**
 * The service's config defaults (INGEST_FILES_CHUNK_ROWS, INGEST_FILES_BATCH_SAMPLES). Measured
 * with bench/ingest-files: 10 000-row chunks of 10 000-sample messages cost ~5 % more CPU than
 * these (kafkajs grows and zero-fills its encode buffers per message and per request), and larger
 * chunks only lengthen the last send after a dropped file's last row.
 */
const DEFAULT_CHUNK_ROWS = 5_000;
const DEFAULT_MAX_CHUNK_ROWS = 50_000;
const DEFAULT_BATCH_SAMPLES = 1_000;
const READ_BYTES = 2 << 20; // 2 MiB

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

interface PendingBadRow {
  line: number;
  key: string;
  raw: string;
  reason: string;
}

/**
 * Reads one flat file into Kafka, streaming (never the whole file in memory), resumable and
 * idempotent through the ledger:
 * - the file is known by its content's sha256; a file the ledger has as done is skipped;
 * - rows go out in chunks, each in one Kafka transaction with its bad rows (to the DLQ) and the file's
 *   progress (`ingest.files.progress.v1`): a crash mid-chunk leaves nothing of it visible (the restarted
 *   producer aborts it), a crash after the commit finds the progress, so the file resumes right after
 *   the last committed row: no gap and no duplicate. The local ledger follows each commit as a cache;
 * - while one chunk is in flight the next is parsed, and grows (up to `maxChunkRows`) until the
 *   in-flight one is committed: group commit, so a slow broker gets fewer transactions; a chunk is sent
 *   only after the previous one is acknowledged, so a failed send never leaves a later chunk in Kafka;
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
    const resumeAfter = entry.line;
    const source = `file:${fileName}`;
    const dlqSpec = profile.record ? topics.records : topics.samples;
    // Large reads: the CSV reader's cost per push (joining the unread rest of the last one) is per read.
    const input = createReadStream(path, { highWaterMark: READ_BYTES });
    const reads = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const reader = new CsvReader({ delimiter: profile.delimiter, encoding: profile.encoding });

    const header: string[][] = [];
    let mapping: FileMapping | undefined;
    const chunk = new ChunkBuilder(profile, source, this.batchSamples);
    let bad: PendingBadRow[] = [];
    let chunkRows = 0;
    let lastLine = resumeAfter;
    let inFlight: Promise<void> | undefined;
    let committing = false;

    const flush = async () => {
      const messages = chunk.take(this.now());
      const badRows = bad;
      const upTo = { line: lastLine, rows: entry.rows, badRows: entry.badRows };
      bad = [];
      chunkRows = 0;
      if (inFlight) await inFlight;
      committing = true;
      inFlight = this.commit(
        { ...entry, ...upTo },
        (tx) => [
          // Encoded by ChunkBuilder and checked by its spec against the schemas: see PipelineSender.sendEncoded.
          tx.encoded(topics.samples, messages.samples),
          tx.encoded(topics.records, messages.records),
          tx.deadLetters(
            dlqSpec,
            badRows.map((row) => ({
              message: refused(row, fileName),
              reason: `${fileName}:${row.line}: ${row.reason}`,
            })),
          ),
        ],
        fileName,
        options.signal,
      )
        .then(() => {
          entry.line = upTo.line;
        })
        .finally(() => {
          committing = false;
        });
      // Awaited by the next flush; without this an early rejection would count as unhandled and end the process.
      inFlight.catch(() => undefined);
    };

    try {
      for (let step = reader.next(); step !== 'end'; step = reader.next()) {
        if (step === 'more') {
          const read = await reads.next();
          if (read.done === true) reader.end();
          else reader.push(read.value);
          continue;
        }
        const line = reader.line;
        if (step === 'unreadable') {
          if (line > resumeAfter) {
            bad.push({ line, key: '', raw: '', reason: `unreadable CSV: ${reader.reason}` });
            entry.badRows += 1;
            lastLine = line;
            chunkRows += 1;
          }
        } else if (header.length < profile.headerRows) {
          header.push([...reader.cells]);
          if (header.length === profile.headerRows) {
            mapping = compileFileMapping(profile, header, {
              fileName,
              plantTimeZone: this.options.plantTimeZone,
            });
            this.options.onSampleTags?.(mapping.sampleTags);
          }
          continue;
        } else if (line > resumeAfter && mapping !== undefined) {
          const result = mapping.mapRow(reader.cells);
          if (result.ok) {
            chunk.add(result.row);
            entry.rows += 1;
          } else {
            bad.push({ line, key: '', raw: reader.cells.join(profile.delimiter), reason: result.reason });
            entry.badRows += 1;
          }
          lastLine = line;
          chunkRows += 1;
        }
        if (chunkRows >= this.chunkRows && (!committing || chunkRows >= this.maxChunkRows)) {
          if (options.signal?.aborted) throw abortError(fileName);
          await flush();
          options.onProgress?.({ bytesRead: input.bytesRead, rows: entry.rows });
        }
      }
      if (mapping === undefined) {
        throw new FileProfileError(`${fileName}: ends before its ${profile.headerRows} header line(s)`, {
          file: fileName,
        });
      }
      if (chunkRows > 0) await flush();
      if (inFlight) await inFlight;
      options.onProgress?.({ bytesRead: input.bytesRead, rows: entry.rows });
    } finally {
      input.destroy();
      if (inFlight) await inFlight.catch(() => undefined);
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

function refused(row: PendingBadRow, fileName: string): RefusedMessage {
  return {
    key: row.key === '' ? null : Buffer.from(row.key),
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
