import {
  closeSync,
  fdatasync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { SpoolError, SpoolFullError } from './errors.js';

/** Where a record starts (or the queue's read cursor stands): segment number and byte offset in it. */
export interface SpoolPosition {
  readonly segment: number;
  readonly offset: number;
}

export interface DiskQueueOptions {
  /** Directory of this queue alone, e.g. `<MILLRACE_DATA_DIR>/spool/ingest-mqtt`; created if missing. */
  dir: string;
  /** Bound on the segment files on disk (records plus 8 header bytes each); an append beyond it is refused. */
  maxBytes: number;
  /** A segment file is closed and a new one started once it holds this much; default 16 MiB. */
  segmentBytes?: number;
  /** fdatasync before an append resolves (default true); turn off only where a crash may lose data. */
  sync?: boolean;
}

/** What opening found: records waiting, and any torn or corrupt tail that was cut off. */
export interface DiskQueueOpenReport {
  records: number;
  bytes: number;
  truncated: { segment: number; offset: number; droppedBytes: number; reason: string }[];
  /** Set when the cursor file was unreadable and reading restarts at the oldest segment. */
  cursorReset?: string;
}

/** Records read from the head of the queue; hand it back to {@link DiskQueue.commit} once they are safe elsewhere. */
export interface SpoolBatch {
  readonly records: readonly Buffer[];
  /** Position just after each record, so a prefix of the batch can be committed. */
  readonly ends: readonly SpoolPosition[];
}

// Record framing: u32 payload length, u32 CRC-32 of the payload, then the payload. A crash mid-write
// leaves a short or mismatching tail, which open() detects and cuts instead of misreading.
const HEADER_BYTES = 8;
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024; // 16 MiB
const SEGMENT_FILE = /^segment-(\d{12})\.log$/;
const CURSOR_FILE = 'cursor.json';

const segmentName = (segment: number): string => `segment-${String(segment).padStart(12, '0')}.log`;

/**
 * Append-only, segmented FIFO of byte records on disk, with one reader. Appends are written at once
 * and fsynced in groups (concurrent appends share one fdatasync); the read cursor advances only on
 * {@link commit}, which persists it (write-temp, fsync, rename) and deletes segments read to the end.
 * File I/O other than fsync is synchronous: records are small and the page cache serves them, and it
 * keeps the order of appends the order of calls.
 */
export class DiskQueue {
  private readonly segmentBytes: number;
  private readonly sync: boolean;
  private readonly sizes = new Map<number, number>(); // live segment → bytes in it
  private writeSegment: number;
  private writeFd: number;
  private cursor: SpoolPosition;
  private readFd: { segment: number; fd: number } | undefined;
  private diskBytes = 0;
  private pendingRecords = 0;
  private pendingBytes = 0;
  private syncInFlight: Promise<void> | undefined;
  private syncQueued: Promise<void> | undefined;
  private closed = false;

  private constructor(
    readonly options: DiskQueueOptions,
    segments: Map<number, number>,
    cursor: SpoolPosition,
    pending: { records: number; bytes: number },
  ) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.sync = options.sync ?? true;
    for (const [segment, size] of segments) {
      this.sizes.set(segment, size);
      this.diskBytes += size;
    }
    this.cursor = cursor;
    this.pendingRecords = pending.records;
    this.pendingBytes = pending.bytes;
    this.writeSegment = Math.max(cursor.segment, ...segments.keys());
    if (!this.sizes.has(this.writeSegment)) this.sizes.set(this.writeSegment, 0);
    this.writeFd = openSync(this.path(this.writeSegment), 'a');
  }

  /**
   * Opens (or creates) the queue in `options.dir`: checks every record after the cursor, cuts a torn
   * or corrupt tail off its segment, and deletes segments the cursor has passed.
   */
  static open(options: DiskQueueOptions): { queue: DiskQueue; report: DiskQueueOpenReport } {
    mkdirSync(options.dir, { recursive: true });
    const found = readdirSync(options.dir)
      .map((name) => SEGMENT_FILE.exec(name)?.[1])
      .filter((digits): digits is string => digits !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const report: DiskQueueOpenReport = { records: 0, bytes: 0, truncated: [] };
    let cursor: SpoolPosition = readCursor(options.dir, report) ?? { segment: found[0] ?? 1, offset: 0 };
    for (const segment of found.filter((candidate) => candidate < cursor.segment)) {
      rmSync(join(options.dir, segmentName(segment)), { force: true });
    }
    const live = found.filter((segment) => segment >= cursor.segment);
    // The cursor's segment was deleted after the cursor moved past it; start at the next one.
    if (live.length > 0 && live[0] !== cursor.segment) cursor = { segment: live[0] ?? 1, offset: 0 };
    const sizes = new Map<number, number>();
    for (const segment of live) {
      const from = segment === cursor.segment ? cursor.offset : 0;
      const scan = scanSegment(join(options.dir, segmentName(segment)), from);
      if (scan.cut) report.truncated.push({ segment, ...scan.cut });
      if (segment === cursor.segment && cursor.offset > scan.size) {
        report.cursorReset = `cursor offset ${cursor.offset} is past the end of segment ${segment} (${scan.size} bytes)`;
        cursor = { segment, offset: scan.size };
      }
      sizes.set(segment, scan.size);
      report.records += scan.records;
      report.bytes += scan.bytes;
    }
    const queue = new DiskQueue(options, sizes, cursor, report);
    return { queue, report };
  }

  /** Records appended and not yet committed. */
  get depth(): number {
    return this.pendingRecords;
  }

  /** Bytes (with headers) of the records not yet committed. */
  get pendingByteCount(): number {
    return this.pendingBytes;
  }

  /** Bytes of the segment files on disk: what {@link DiskQueueOptions.maxBytes} bounds. */
  get diskByteCount(): number {
    return this.diskBytes;
  }

  get isEmpty(): boolean {
    return this.pendingRecords === 0;
  }

  /**
   * Appends records in order; all or none (a {@link SpoolFullError} writes nothing). The records are
   * written before this returns its promise, so a later append lands after them whatever the timing;
   * the promise resolves once they are fsynced.
   */
  append(records: readonly Uint8Array[]): Promise<void> {
    this.assertOpen();
    if (records.length === 0) return Promise.resolve();
    let total = 0;
    for (const record of records) total += HEADER_BYTES + record.byteLength;
    if (this.diskBytes + total > this.options.maxBytes) {
      throw new SpoolFullError(this.options.dir, this.diskBytes, this.options.maxBytes, total);
    }
    const frame = Buffer.allocUnsafe(total);
    let at = 0;
    for (const record of records) {
      frame.writeUInt32BE(record.byteLength, at);
      frame.writeUInt32BE(crc32(record), at + 4);
      frame.set(record, at + HEADER_BYTES);
      at += HEADER_BYTES + record.byteLength;
    }
    const size = this.sizes.get(this.writeSegment) ?? 0;
    if (size > 0 && size + total > this.segmentBytes) this.roll();
    writeFully(this.writeFd, frame);
    this.sizes.set(this.writeSegment, (this.sizes.get(this.writeSegment) ?? 0) + total);
    this.diskBytes += total;
    this.pendingRecords += records.length;
    this.pendingBytes += total;
    return this.sync ? this.flush() : Promise.resolve();
  }

  /** Reads up to `maxRecords` (and about `maxBytes`, at least one record) from the head, without consuming them. */
  peek(maxRecords: number, maxBytes = Number.POSITIVE_INFINITY): SpoolBatch {
    this.assertOpen();
    const records: Buffer[] = [];
    const ends: SpoolPosition[] = [];
    let position = this.cursor;
    let bytes = 0;
    while (records.length < maxRecords && (records.length === 0 || bytes < maxBytes)) {
      const size = this.sizes.get(position.segment);
      if (size === undefined) break;
      if (position.offset >= size) {
        if (position.segment >= this.writeSegment) break;
        position = { segment: position.segment + 1, offset: 0 };
        continue;
      }
      const fd = this.readerFor(position.segment);
      const header = Buffer.alloc(HEADER_BYTES);
      readFully(fd, header, position.offset);
      const length = header.readUInt32BE(0);
      const record = Buffer.alloc(length);
      readFully(fd, record, position.offset + HEADER_BYTES);
      if (crc32(record) !== header.readUInt32BE(4)) {
        throw new SpoolError(
          `spool record at ${segmentName(position.segment)}:${position.offset} fails its CRC (disk corruption?)`,
          false,
          { segment: position.segment, offset: position.offset },
        );
      }
      records.push(record);
      position = { segment: position.segment, offset: position.offset + HEADER_BYTES + length };
      ends.push(position);
      bytes += HEADER_BYTES + length;
    }
    return { records, ends };
  }

  /**
   * Consumes the first `count` records of `batch` (default all), which must be the batch {@link peek}
   * returned last: persists the cursor and deletes segments read to their end.
   */
  commit(batch: SpoolBatch, count = batch.records.length): void {
    this.assertOpen();
    if (count === 0) return;
    const end = batch.ends[count - 1];
    if (end === undefined) throw new RangeError(`cannot commit ${count} of ${batch.records.length} records`);
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += HEADER_BYTES + (batch.records[i]?.byteLength ?? 0);
    this.pendingRecords -= count;
    this.pendingBytes -= bytes;
    let next: SpoolPosition = end;
    // A segment read to its end is done with: move the cursor on so the loop below deletes it.
    if (end.segment < this.writeSegment && end.offset >= (this.sizes.get(end.segment) ?? 0)) {
      next = { segment: end.segment + 1, offset: 0 };
    }
    if (this.pendingRecords === 0) {
      // Drained: continue in a fresh segment so the spool's files shrink to nothing.
      if ((this.sizes.get(this.writeSegment) ?? 0) > 0) this.roll();
      next = { segment: this.writeSegment, offset: 0 };
    }
    this.cursor = next;
    writeCursor(this.options.dir, next);
    for (const segment of [...this.sizes.keys()]) {
      if (segment >= next.segment) continue;
      if (this.readFd?.segment === segment) {
        closeSync(this.readFd.fd);
        this.readFd = undefined;
      }
      rmSync(this.path(segment), { force: true });
      this.diskBytes -= this.sizes.get(segment) ?? 0;
      this.sizes.delete(segment);
    }
  }

  /** fdatasync of what was appended so far; concurrent callers share one call. */
  flush(): Promise<void> {
    if (this.syncInFlight) {
      // Appends made during a running fdatasync need the next one.
      this.syncQueued ??= this.syncInFlight.then(() => {
        this.syncQueued = undefined;
        return this.flush();
      });
      return this.syncQueued;
    }
    const fd = this.writeFd;
    this.syncInFlight = new Promise<void>((resolve, reject) => {
      fdatasync(fd, (error) => (error ? reject(error) : resolve()));
    }).finally(() => {
      this.syncInFlight = undefined;
    });
    return this.syncInFlight;
  }

  /** Flushes and closes the files; the queue object is unusable afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined);
    this.closed = true;
    closeSync(this.writeFd);
    if (this.readFd) closeSync(this.readFd.fd);
    this.readFd = undefined;
  }

  private roll(): void {
    const old = this.writeFd;
    fsyncSync(old);
    // A running async fdatasync still holds the old descriptor: close it only after that one ends.
    const inFlight = this.syncInFlight ?? Promise.resolve();
    void inFlight.catch(() => undefined).finally(() => closeSync(old));
    this.writeSegment += 1;
    this.writeFd = openSync(this.path(this.writeSegment), 'a');
    this.sizes.set(this.writeSegment, 0);
    fsyncDirectory(this.options.dir);
  }

  private readerFor(segment: number): number {
    if (this.readFd?.segment === segment) return this.readFd.fd;
    if (this.readFd) closeSync(this.readFd.fd);
    this.readFd = { segment, fd: openSync(this.path(segment), 'r') };
    return this.readFd.fd;
  }

  private path(segment: number): string {
    return join(this.options.dir, segmentName(segment));
  }

  private assertOpen(): void {
    if (this.closed) throw new SpoolError(`spool ${this.options.dir} is closed`, false);
  }
}

function scanSegment(
  path: string,
  from: number,
): {
  size: number;
  records: number;
  bytes: number;
  cut?: { offset: number; droppedBytes: number; reason: string };
} {
  const data = readFileSync(path);
  let offset = Math.min(from, data.length);
  let records = 0;
  let reason: string | undefined;
  while (offset < data.length) {
    if (data.length - offset < HEADER_BYTES) {
      reason = 'torn record header';
      break;
    }
    const length = data.readUInt32BE(offset);
    if (data.length - offset - HEADER_BYTES < length) {
      reason = 'torn record (shorter than its length)';
      break;
    }
    const payload = data.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
    if (crc32(payload) !== data.readUInt32BE(offset + 4)) {
      reason = 'record fails its CRC';
      break;
    }
    offset += HEADER_BYTES + length;
    records += 1;
  }
  if (reason === undefined)
    return { size: data.length, records, bytes: data.length - Math.min(from, data.length) };
  // Everything from the first bad record on is cut: a later "record" may be garbage framed by chance.
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return {
    size: offset,
    records,
    bytes: offset - Math.min(from, offset),
    cut: { offset, droppedBytes: data.length - offset, reason },
  };
}

function readCursor(dir: string, report: DiskQueueOpenReport): SpoolPosition | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, CURSOR_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as { segment?: unknown; offset?: unknown };
    if (Number.isSafeInteger(value.segment) && Number.isSafeInteger(value.offset)) {
      const segment = value.segment as number;
      const offset = value.offset as number;
      if (segment >= 1 && offset >= 0) return { segment, offset };
    }
  } catch {
    // Reported below.
  }
  report.cursorReset = `unreadable ${CURSOR_FILE}; reading again from the oldest segment (records may be sent twice)`;
  return undefined;
}

function writeCursor(dir: string, position: SpoolPosition): void {
  const temp = join(dir, `${CURSOR_FILE}.tmp`);
  const fd = openSync(temp, 'w');
  try {
    writeFully(fd, Buffer.from(JSON.stringify(position)));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, join(dir, CURSOR_FILE));
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeFully(fd: number, buffer: Uint8Array): void {
  let written = 0;
  while (written < buffer.byteLength) written += writeSync(fd, buffer, written);
}

function readFully(fd: number, buffer: Buffer, position: number): void {
  let read = 0;
  while (read < buffer.byteLength) {
    const n = readSync(fd, buffer, read, buffer.byteLength - read, position + read);
    if (n === 0) throw new SpoolError(`spool segment ended early at byte ${position + read}`, false);
    read += n;
  }
}
