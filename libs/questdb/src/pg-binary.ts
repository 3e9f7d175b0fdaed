import { connect, type Socket } from 'node:net';
import { QuestDbError } from './errors.js';

/**
 * A text column dictionary-encoded: row `r` holds `dictionary[codes[r]]`, or NULL where the code is -1.
 * A tag column repeats a few paths over 100k rows: one string per distinct value, not per row.
 */
export interface TextColumn {
  readonly dictionary: readonly string[];
  readonly codes: Float64Array;
}

/**
 * A result as columns: `values[c][r]` is column `c` of row `r`. Numbers (DOUBLE, LONG, INT, TIMESTAMP as
 * epoch µs, BOOLEAN as 0/1) land in a Float64Array with NaN for NULL; text in a {@link TextColumn}.
 */
export interface ColumnarResult {
  readonly names: readonly string[];
  readonly values: readonly (Float64Array | TextColumn)[];
  readonly rowCount: number;
}

/**
 * Numbers in one array, sized by the caller's estimate of the rows and doubled when it falls short: an
 * estimate that holds costs one allocation and no copy.
 */
class NumberColumn {
  private values: Float64Array;
  private used = 0;

  constructor(expectedRows: number) {
    this.values = new Float64Array(Math.max(1_024, expectedRows));
  }

  push(value: number): void {
    if (this.used === this.values.length) {
      const grown = new Float64Array(2 * this.values.length);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.used++] = value;
  }

  finish(): Float64Array {
    return this.values.subarray(0, this.used);
  }
}

export interface BinaryPoolOptions {
  /** `postgresql://user:password@host:8812/qdb` */
  readonly pgUrl: string;
  readonly maxConnections: number;
  /** A query still running after this is abandoned: its connection is closed. */
  readonly statementTimeoutMs?: number | undefined;
}

// Type OIDs (PostgreSQL `pg_type`, as QuestDB reports them) and their binary encodings (PostgreSQL docs,
// "Binary format" of each type's send function: big-endian, timestamps in µs since 2000-01-01).
const BOOL = 16;
const INT8 = 20;
const INT2 = 21;
const INT4 = 23;
const FLOAT4 = 700;
const FLOAT8 = 701;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const PG_EPOCH_US = 946_684_800_000_000;
const TWO_32 = 4_294_967_296;
const EMPTY = Buffer.alloc(0);
const READ_BUFFER_BYTES = 256 * 1024;
const viewOf = (buffer: Buffer) => new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/** Whether `buffer[start, start + length)` holds `value`'s bytes, compared four at a time. */
function sameBytes(value: Interned, buffer: Buffer, view: DataView, start: number, length: number): boolean {
  if (value.bytes.length !== length) return false;
  const { words } = value;
  for (let w = 0; w < words.length; w += 1) if (words[w] !== view.getInt32(start + 4 * w)) return false;
  for (let i = 4 * words.length; i < length; i += 1) if (value.bytes[i] !== buffer[start + i]) return false;
  return true;
}

/** How a column is decoded; numbers are read in place (no boxing, no allocation per value). */
const enum Kind {
  Float8,
  Float4,
  Int8,
  Int4,
  Int2,
  Bool,
  Timestamp,
  Text,
}
const KIND_OF_OID: ReadonlyMap<number, Kind> = new Map([
  [FLOAT8, Kind.Float8],
  [FLOAT4, Kind.Float4],
  [INT8, Kind.Int8],
  [INT4, Kind.Int4],
  [INT2, Kind.Int2],
  [BOOL, Kind.Bool],
  [TIMESTAMP, Kind.Timestamp],
  [TIMESTAMPTZ, Kind.Timestamp],
]);

interface Interned {
  readonly bytes: Buffer;
  /** The bytes as big-endian 32-bit words, as far as they go. */
  readonly words: Int32Array;
  readonly code: number;
  /** The value that followed this one last time: rows of several tags repeat in the same order. */
  next: Interned | undefined;
}

/**
 * Builds a {@link TextColumn}: each distinct byte sequence is decoded once; a row costs a guess (the
 * value that followed the previous one last time) or a hash lookup, and no allocation.
 */
class TextColumnBuilder {
  readonly codes: NumberColumn;
  private readonly dictionary: string[] = [];
  private readonly byHash = new Map<number, Interned[]>();
  private previous: Interned | undefined;

  constructor(expectedRows: number) {
    this.codes = new NumberColumn(expectedRows);
  }

  push(buffer: Buffer, view: DataView, start: number, length: number): void {
    if (length < 0) {
      this.codes.push(-1);
      return;
    }
    const guess = this.previous?.next;
    const found =
      guess !== undefined && sameBytes(guess, buffer, view, start, length)
        ? guess
        : this.lookup(buffer, view, start, length);
    if (this.previous !== undefined) this.previous.next = found;
    this.previous = found;
    this.codes.push(found.code);
  }

  finish(): TextColumn {
    return { dictionary: this.dictionary, codes: this.codes.finish() };
  }

  private lookup(buffer: Buffer, view: DataView, start: number, length: number): Interned {
    let hash = 0x811c9dc5; // FNV-1a
    for (let i = start; i < start + length; i += 1) hash = Math.imul(hash ^ buffer[i]!, 0x01000193);
    let bucket = this.byHash.get(hash);
    if (bucket === undefined) this.byHash.set(hash, (bucket = []));
    for (const entry of bucket) if (sameBytes(entry, buffer, view, start, length)) return entry;
    const bytes = Buffer.from(buffer.subarray(start, start + length));
    const words = Int32Array.from({ length: length >> 2 }, (_, w) => view.getInt32(start + 4 * w));
    const entry: Interned = { bytes, words, code: this.dictionary.length, next: undefined };
    this.dictionary.push(bytes.toString('utf8'));
    bucket.push(entry);
    return entry;
  }
}

interface Pending {
  readonly resolve: (result: ColumnarResult) => void;
  readonly reject: (error: Error) => void;
  names: string[];
  kinds: Kind[];
  /** Per column: its builder; `numbers[c]` and `texts[c]` are the same object typed, or undefined. */
  values: (NumberColumn | TextColumnBuilder)[];
  numbers: (NumberColumn | undefined)[];
  texts: (TextColumnBuilder | undefined)[];
  rowCount: number;
  readonly expectedRows: number;
  error: QuestDbError | undefined;
}

/**
 * One PostgreSQL wire connection (protocol 3.0) that runs extended-protocol queries with every result
 * column in binary format and decodes rows straight into columns. node-pg decodes every field as a
 * UTF-8 string first (binary values are corrupted) and builds an object per row; for the 100k-row
 * answers of a chart that parsing, not QuestDB, was most of the time (docs/benchmarks.md, issue 5).
 */
class BinaryConnection {
  /** The start of a message whose end has not arrived yet. */
  private buffered: Buffer = EMPTY;
  private pending: Pending | undefined;
  private ready: { resolve: () => void; reject: (error: Error) => void } | undefined;
  closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly password: string,
  ) {}

  static open(url: URL): Promise<BinaryConnection> {
    return new Promise((resolve, reject) => {
      // One read buffer for the connection's life, not a new 64 KB Buffer per chunk: a 100-tag answer
      // is 15 MB, and those chunks were most of what the collector had to sweep. Nothing keeps a view
      // into it past `onData` (a split message's start and interned text are copied).
      const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      const socket = connect({
        host: url.hostname,
        port: Number(url.port || 8812),
        onread: {
          buffer: readBuffer,
          callback: (bytes) => {
            // Runs once data arrives, after `connection` below is set.
            connection.onData(readBuffer.subarray(0, bytes));
            return true;
          },
        },
      });
      socket.setNoDelay(true);
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      const database = url.pathname.replace(/^\//, '') || 'qdb';
      const connection = new BinaryConnection(socket, password);
      connection.ready = { resolve: () => resolve(connection), reject };
      socket.on('error', (error) => connection.fail(error, true));
      socket.on('close', () => connection.fail(new Error('connection closed'), true));
      socket.once('connect', () => socket.write(startupMessage(user, database)));
    });
  }

  /** Runs one statement; `params` are sent as text, results come back binary. */
  query(sql: string, params: readonly unknown[], expectedRows: number): Promise<ColumnarResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new QuestDbError('query failed: connection closed', true));
        return;
      }
      this.pending = {
        resolve,
        reject,
        names: [],
        kinds: [],
        values: [],
        numbers: [],
        texts: [],
        rowCount: 0,
        expectedRows,
        error: undefined,
      };
      this.socket.write(
        Buffer.concat([
          message(0x50, cstring(''), cstring(sql), int16(0)), // Parse: unnamed statement, types inferred
          bindMessage(params),
          message(0x44, Buffer.from('P'), cstring('')), // Describe the portal: its RowDescription
          message(0x45, cstring(''), int32(0)), // Execute, all rows
          message(0x53), // Sync
        ]),
      );
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end(message(0x58)); // Terminate
    this.socket.destroy();
  }

  private fail(error: Error, connectionLost: boolean): void {
    if (connectionLost) this.closed = true;
    const wrapped =
      error instanceof QuestDbError
        ? error
        : new QuestDbError(`query failed: ${error.message}`, true, {}, { cause: error });
    this.ready?.reject(wrapped);
    this.ready = undefined;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(wrapped);
  }

  private onData(chunk: Buffer): void {
    let offset = 0;
    if (this.buffered.length > 0) {
      // Complete the one message split across chunks, copying only its bytes (a 15 MB answer arrives
      // in 64 KB chunks; joining whole chunks was most of the garbage).
      const head = Buffer.concat([this.buffered, chunk.subarray(0, Math.max(0, 5 - this.buffered.length))]);
      if (head.length < 5) {
        this.buffered = head;
        return;
      }
      const size = 1 + head.readInt32BE(1);
      const missing = size - this.buffered.length;
      if (missing > chunk.length) {
        this.buffered = Buffer.concat([this.buffered, chunk]);
        return;
      }
      const whole = Buffer.concat([this.buffered, chunk.subarray(0, missing)]);
      this.buffered = EMPTY;
      this.onMessage(whole[0]!, whole, viewOf(whole), 5, size);
      offset = missing;
    }
    const view = viewOf(chunk);
    while (chunk.length - offset >= 5) {
      const size = 1 + view.getInt32(offset + 1);
      if (chunk.length - offset < size) break;
      this.onMessage(chunk[offset]!, chunk, view, offset + 5, offset + size);
      offset += size;
    }
    if (offset < chunk.length) this.buffered = Buffer.from(chunk.subarray(offset));
  }

  private onMessage(type: number, buffer: Buffer, view: DataView, start: number, end: number): void {
    switch (type) {
      case 0x44: // DataRow
        if (this.pending) this.onDataRow(this.pending, buffer, view, start);
        return;
      case 0x54: // RowDescription
        if (this.pending) this.onRowDescription(this.pending, buffer, start);
        return;
      case 0x45: {
        // ErrorResponse: the statement failed; ReadyForQuery follows.
        const fields = errorFields(buffer, start, end);
        const error = new QuestDbError(
          `query failed: ${fields.get('M') ?? 'unknown error'}`,
          (fields.get('C') ?? '').startsWith('08'),
          {},
        );
        if (this.pending) {
          this.pending.error = error;
        } else {
          // Refused at start-up (e.g. a wrong password): the connection is of no use.
          this.fail(error, true);
          this.socket.destroy();
        }
        return;
      }
      case 0x5a: {
        // ReadyForQuery: start-up done, or the statement's answer is complete.
        if (this.ready) {
          this.ready.resolve();
          this.ready = undefined;
          return;
        }
        const pending = this.pending;
        this.pending = undefined;
        if (!pending) return;
        if (pending.error) pending.reject(pending.error);
        else
          pending.resolve({
            names: pending.names,
            values: pending.values.map((column) => column.finish()),
            rowCount: pending.rowCount,
          });
        return;
      }
      case 0x52:
        this.onAuthentication(buffer, start);
        return;
      default:
        // ParseComplete, BindComplete, CommandComplete, NoData, ParameterStatus, BackendKeyData, notices.
        return;
    }
  }

  private onAuthentication(buffer: Buffer, start: number): void {
    const code = buffer.readInt32BE(start);
    if (code === 0) return;
    if (code === 3) {
      this.socket.write(message(0x70, cstring(this.password)));
      return;
    }
    // QuestDB asks for a cleartext password (QuestDB docs, "PostgreSQL wire protocol"); nothing else is spoken.
    this.fail(new Error(`authentication method ${code} is not supported`), true);
    this.socket.destroy();
  }

  private onRowDescription(pending: Pending, buffer: Buffer, start: number): void {
    const count = buffer.readInt16BE(start);
    let offset = start + 2;
    for (let i = 0; i < count; i += 1) {
      const nameEnd = buffer.indexOf(0, offset);
      pending.names.push(buffer.toString('utf8', offset, nameEnd));
      offset = nameEnd + 1;
      const typeOid = buffer.readInt32BE(offset + 6);
      offset += 18;
      const kind = KIND_OF_OID.get(typeOid) ?? Kind.Text;
      const column =
        kind === Kind.Text
          ? new TextColumnBuilder(pending.expectedRows)
          : new NumberColumn(pending.expectedRows);
      pending.kinds.push(kind);
      pending.values.push(column);
      pending.numbers.push(column instanceof NumberColumn ? column : undefined);
      pending.texts.push(column instanceof TextColumnBuilder ? column : undefined);
    }
  }

  private onDataRow(pending: Pending, buffer: Buffer, view: DataView, start: number): void {
    const count = view.getInt16(start);
    const { kinds, numbers, texts } = pending;
    let offset = start + 2;
    for (let c = 0; c < count; c += 1) {
      const length = view.getInt32(offset);
      offset += 4;
      const kind = kinds[c]!;
      // Doubles first: most fields of a chart's answer are; one monomorphic call each kind.
      if (kind === Kind.Float8) numbers[c]!.push(length < 0 ? Number.NaN : view.getFloat64(offset));
      else if (kind === Kind.Text) texts[c]!.push(buffer, view, offset, length);
      else numbers[c]!.push(length < 0 ? Number.NaN : readNumber(view, offset, kind));
      if (length > 0) offset += length;
    }
    pending.rowCount += 1;
  }
}

function readNumber(view: DataView, offset: number, kind: Kind): number {
  switch (kind) {
    case Kind.Float8:
      return view.getFloat64(offset);
    case Kind.Float4:
      return view.getFloat32(offset);
    case Kind.Int8:
      // Two 32-bit halves instead of getBigInt64: no BigInt per value; exact below 2^53.
      return view.getInt32(offset) * TWO_32 + view.getUint32(offset + 4);
    case Kind.Int4:
      return view.getInt32(offset);
    case Kind.Int2:
      return view.getInt16(offset);
    case Kind.Bool:
      return view.getUint8(offset);
    default:
      return view.getInt32(offset) * TWO_32 + view.getUint32(offset + 4) + PG_EPOCH_US;
  }
}

function cstring(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf8');
}
function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}
function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}
function message(type: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
function startupMessage(user: string, database: string): Buffer {
  const body = Buffer.concat([
    int32(196_608),
    cstring('user'),
    cstring(user),
    cstring('database'),
    cstring(database),
    Buffer.from([0]),
  ]);
  return Buffer.concat([int32(body.length + 4), body]);
}
/** Bind: text parameters, one result format code (1: every column binary). */
function bindMessage(params: readonly unknown[]): Buffer {
  const parts: Buffer[] = [cstring(''), cstring(''), int16(0), int16(params.length)];
  for (const param of params) {
    if (param === null || param === undefined) {
      parts.push(int32(-1));
      continue;
    }
    const text = Buffer.from(String(param), 'utf8');
    parts.push(int32(text.length), text);
  }
  parts.push(int16(1), int16(1));
  return message(0x42, ...parts);
}
function errorFields(buffer: Buffer, start: number, end: number): Map<string, string> {
  const fields = new Map<string, string>();
  let offset = start;
  while (offset < end && buffer[offset] !== 0) {
    const code = String.fromCharCode(buffer[offset]!);
    const valueEnd = buffer.indexOf(0, offset + 1);
    fields.set(code, buffer.toString('utf8', offset + 1, valueEnd));
    offset = valueEnd + 1;
  }
  return fields;
}

/** A few {@link BinaryConnection}s shared by callers; a query waits for a free one. */
export class BinaryPool {
  private readonly url: URL;
  private readonly idle: BinaryConnection[] = [];
  private readonly waiting: ((connection: BinaryConnection | Error) => void)[] = [];
  private open = 0;

  constructor(private readonly options: BinaryPoolOptions) {
    this.url = new URL(options.pgUrl);
  }

  /** `expectedRows`: about how many rows the answer has, to size its columns once. */
  async query(sql: string, params: readonly unknown[], expectedRows = 0): Promise<ColumnarResult> {
    const connection = await this.acquire();
    const timeoutMs = this.options.statementTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = connection.query(sql, params, expectedRows);
      if (timeoutMs === undefined) return await answer;
      // PostgreSQL's CancelRequest needs a second connection; closing this one stops the statement too.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          connection.close();
          reject(new QuestDbError(`query failed: timeout after ${timeoutMs} ms`, true));
        }, timeoutMs);
      });
      return await Promise.race([answer, timeout]);
    } catch (error) {
      if (error instanceof QuestDbError)
        throw new QuestDbError(
          `${error.message} [${sql.slice(0, 200)}]`,
          error.retriable,
          {},
          { cause: error },
        );
      throw error;
    } finally {
      clearTimeout(timer);
      this.release(connection);
    }
  }

  end(): void {
    for (const connection of this.idle.splice(0)) connection.close();
  }

  private async acquire(): Promise<BinaryConnection> {
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      if (!connection.closed) return connection;
      this.open -= 1;
    }
    if (this.open < this.options.maxConnections) {
      this.open += 1;
      try {
        return await BinaryConnection.open(this.url);
      } catch (error) {
        this.open -= 1;
        throw error;
      }
    }
    const next = await new Promise<BinaryConnection | Error>((resolve) => this.waiting.push(resolve));
    if (next instanceof Error) throw next;
    return next;
  }

  private release(connection: BinaryConnection): void {
    if (connection.closed) {
      this.open -= 1;
      // A waiter gets a fresh connection in place of the closed one.
      const waiter = this.waiting.shift();
      if (waiter) {
        this.open += 1;
        BinaryConnection.open(this.url).then(waiter, (error: Error) => {
          this.open -= 1;
          waiter(error);
        });
      }
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(connection);
    else this.idle.push(connection);
  }
}
