import { Worker } from 'node:worker_threads';
import type { EncodedMessage } from './chunk.js';
import { FileProfileError } from './errors.js';
import type { FileChunk, ReadChunksOptions } from './file-chunks.js';
import type { FileMapping } from './mapping.js';

/** Messages from chunk-worker.js. */
export type ToReader =
  | { type: 'sampleTags'; sampleTags: FileMapping['sampleTags'] }
  | { type: 'chunk'; chunk: PackedChunk }
  | { type: 'end' }
  | { type: 'error'; message: string; profileContext?: Record<string, string | number> };
/**
 * A chunk as it crosses threads: every message value in one transferred ArrayBuffer, so passing it on
 * costs one copy in the worker instead of a structured clone of each Buffer.
 */
export interface PackedChunk extends Omit<FileChunk, 'samples' | 'records'> {
  bytes: ArrayBuffer;
  samples: PackedMessages;
  records: PackedMessages;
}
interface PackedMessages {
  keys: string[];
  /** Where each value ends in `bytes`; each starts where the one before ends (after the samples, the records). */
  ends: number[];
}

/** Packs a chunk's message values into one ArrayBuffer (to transfer with postMessage). */
export function packChunk(chunk: FileChunk): PackedChunk {
  const bytes = new ArrayBuffer(
    sum(chunk.samples, (message) => message.value.length) +
      sum(chunk.records, (message) => message.value.length),
  );
  const into = new Uint8Array(bytes);
  let at = 0;
  const pack = (messages: EncodedMessage[]): PackedMessages => ({
    keys: messages.map((message) => message.key),
    ends: messages.map((message) => {
      into.set(message.value, at);
      at += message.value.length;
      return at;
    }),
  });
  const samples = pack(chunk.samples);
  return { ...chunk, bytes, samples, records: pack(chunk.records) };
}

/** The chunk again, its values Buffers over the transferred bytes (no copy). */
export function unpackChunk(packed: PackedChunk): FileChunk {
  let start = 0;
  const unpack = ({ keys, ends }: PackedMessages): EncodedMessage[] =>
    keys.map((key, index) => {
      const end = ends[index] as number;
      const value = Buffer.from(packed.bytes, start, end - start);
      start = end;
      return { key, value };
    });
  const samples = unpack(packed.samples);
  return {
    bad: packed.bad,
    lastLine: packed.lastLine,
    rows: packed.rows,
    badRows: packed.badRows,
    bytesRead: packed.bytesRead,
    samples,
    records: unpack(packed.records),
  };
}

/** Messages to chunk-worker.js: read a file, or more chunks it may read ahead. */
export type ToWorker =
  { type: 'read'; options: ReadChunksOptions; aheadChunks: number } | { type: 'credits'; credits: number };

// Tests run this module from its TypeScript source; the worker is always the compiled one.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? '../dist/chunk-worker.js' : './chunk-worker.js',
  import.meta.url,
);
/** Threads that finished a file, kept for the next (starting one costs ~150 ms of CPU); unref'd while idle. */
const idleWorkers: Worker[] = [];

/**
 * Reads a flat file in a worker thread ({@link readChunks} there), so reading and encoding run on one
 * core while the caller's Kafka client runs on another. The worker stays at most `aheadChunks`
 * chunks ahead of {@link take}: memory is bounded whatever the file's size.
 */
export class FileChunkReader {
  private readonly worker: Worker;
  private readonly queue: FileChunk[] = [];
  /** Read to the end, or failed: the worker is idle again (or gone). */
  private finished = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly onMessage = (message: ToReader) => {
    if (message.type === 'sampleTags') this.onSampleTags(message.sampleTags);
    else if (message.type === 'chunk') this.queue.push(unpackChunk(message.chunk));
    else {
      if (message.type === 'error')
        this.failure =
          message.profileContext === undefined
            ? new Error(message.message)
            : new FileProfileError(message.message, message.profileContext);
      this.finish(true);
    }
    this.wake?.();
  };
  private readonly onError = (error: Error) => {
    this.failure ??= error;
    this.finish(false);
    this.wake?.();
  };
  private readonly onExit = (code: number) =>
    this.onError(new Error(`the file reader thread stopped (exit code ${code})`));

  constructor(
    options: ReadChunksOptions,
    aheadChunks: number,
    private readonly onSampleTags: (tags: FileMapping['sampleTags']) => void,
  ) {
    this.worker = idleWorkers.pop() ?? new Worker(WORKER_URL);
    this.worker.ref();
    this.worker.on('message', this.onMessage).on('error', this.onError).on('exit', this.onExit);
    this.worker.postMessage({ type: 'read', options, aheadChunks } satisfies ToWorker);
  }

  /**
   * Waits for at least one chunk and returns those read so far, as many as fit in `maxRows` rows (at
   * least one); undefined once the file is read to its end. A reading error is thrown here.
   */
  async take(maxRows: number): Promise<FileChunk[] | undefined> {
    while (this.queue.length === 0 && !this.finished)
      await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.queue.length === 0) {
      if (this.failure) throw this.failure;
      return undefined;
    }
    const taken: FileChunk[] = [];
    let rows = 0;
    for (let next = this.queue[0]; next !== undefined; next = this.queue[0]) {
      const size = next.rows + next.badRows;
      if (taken.length > 0 && rows + size > maxRows) break;
      taken.push(next);
      this.queue.shift();
      rows += size;
    }
    if (!this.finished)
      this.worker.postMessage({ type: 'credits', credits: taken.length } satisfies ToWorker);
    return taken;
  }

  /** Stops reading: a worker still in the middle of the file is terminated, its chunks not taken are dropped. */
  async stop(): Promise<void> {
    if (this.finished) return;
    this.finish(false);
    await this.worker.terminate();
  }

  private finish(reusable: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.worker.off('message', this.onMessage).off('error', this.onError).off('exit', this.onExit);
    if (reusable) {
      this.worker.unref();
      idleWorkers.push(this.worker);
    }
  }
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
