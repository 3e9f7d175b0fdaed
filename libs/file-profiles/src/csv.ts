export interface CsvDialect {
  /** Cell separator, 1 to 4 characters (`;`, `\t`). */
  delimiter: string;
  encoding: 'utf8' | 'latin1';
}

/**
 * What {@link CsvReader.next} found: a record (in `cells`, ending on `line`), an unreadable record
 * (starting on `line`, with a `reason`), or nothing until more input (`more`) or the end (`end`).
 */
export type CsvStep = 'record' | 'unreadable' | 'more' | 'end';

/**
 * A record's cells: each one's text, and where its bytes stand, for parsers that read digits straight
 * from the file (numbers.ts, timestamps.ts) instead of making a string of every cell first.
 */
export interface CsvCells {
  readonly count: number;
  /** The bytes the cells are in; a quoted cell's range is what stands between its quotes (`""` still doubled). */
  readonly bytes: Uint8Array;
  startOf(index: number): number;
  endOf(index: number): number;
  /** The cell's text, decoded and unquoted. */
  text(index: number): string;
}

/** Cells of texts split elsewhere (tests, a header read by another parser), as UTF-8. */
export function textCells(texts: readonly string[]): CsvCells {
  const encoded = texts.map((text) => Buffer.from(text, 'utf8'));
  const ends: number[] = [];
  encoded.reduce((at, bytes) => {
    ends.push(at + bytes.length);
    return at + bytes.length;
  }, 0);
  return {
    count: texts.length,
    bytes: Buffer.concat(encoded),
    startOf: (index) => (index === 0 ? 0 : (ends[index - 1] ?? 0)),
    endOf: (index) => ends[index] ?? 0,
    text: (index) => texts[index] ?? '',
  };
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
/** The UTF-8 byte order mark; read as ISO-8859-1 it is `ï»¿`, dropped too (csv-parse's `bom`). */
const BOM = [0xef, 0xbb, 0xbf];
/** A record still open after this many bytes is given up (a stray quote), so memory stays bounded. */
export const MAX_RECORD_BYTES = 1 << 20;

/**
 * A streaming CSV splitter for the plant's flat files, pull-style so the caller can stop between
 * any two records (to send a chunk) without buffering parsed rows.
 *
 * Dialect, as csv-parse read these files before (`relax_quotes`, `relax_column_count`,
 * `skip_empty_lines`, `bom`): a cell that starts with `"` is quoted (`""` inside is one quote, and
 * it may span lines); a quote anywhere else is a literal character; lines end with LF, CRLF or CR;
 * empty lines are skipped but counted; a UTF-8 BOM is dropped; records may have any cell count.
 *
 * Unlike csv-parse, an unreadable record (a quote never closed, text after a closing quote, or a
 * record over {@link MAX_RECORD_BYTES}) costs only itself: reading resumes on the line after the
 * one it starts on, instead of the rest of the file vanishing into one open quote.
 *
 * Written for speed (csv-parse's per-record info objects and async iteration cost more than the
 * rest of the ingest): it splits the bytes as read, without decoding them, and a record is its
 * cells' byte ranges ({@link CsvCells}); a cell becomes a string only when asked for its text. The
 * delimiter, quotes and line ends are ASCII, and in UTF-8 an ASCII byte is never part of another
 * character, so splitting bytes splits characters the same way.
 */
export class CsvReader implements CsvCells {
  /** Cells of the current record; valid until the next call to {@link next}. */
  count = 0;
  bytes: Buffer = Buffer.alloc(0);
  /** 1-based physical line the current record ends on (`record`) or starts on (`unreadable`). */
  line = 0;
  /** Why the current record is unreadable (`unreadable` only). */
  reason = '';

  private readonly encoding: CsvDialect['encoding'];
  private readonly delimiter: Buffer;
  private readonly delimiterCode: number;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private quoted = new Uint8Array(64);
  /** Holds the unread bytes from `pos` to `filled`; `bytes` is the filled part. */
  private buffer: Buffer = Buffer.alloc(0);
  private filled = 0;
  private pos = 0;
  /** Line number of the byte at `pos`. */
  private lineNo = 1;
  private ended = false;
  private bomChecked = false;
  /** Set when an unreadable record was given up and the rest of its first line is still to skip. */
  private skippingLine = false;

  constructor(dialect: CsvDialect) {
    if (dialect.delimiter.length < 1) throw new RangeError('empty CSV delimiter');
    this.encoding = dialect.encoding;
    this.delimiter = Buffer.from(dialect.delimiter, dialect.encoding);
    this.delimiterCode = this.delimiter[0] ?? 0;
  }

  startOf(index: number): number {
    return this.starts[index] ?? 0;
  }

  endOf(index: number): number {
    return this.ends[index] ?? 0;
  }

  text(index: number): string {
    const text = this.bytes.toString(this.encoding, this.startOf(index), this.endOf(index));
    return this.quoted[index] === 1 ? text.replaceAll('""', '"') : text;
  }

  /** The current record's cells as strings. */
  texts(): string[] {
    return Array.from({ length: this.count }, (_, index) => this.text(index));
  }

  /** Appends the next bytes of the file (a copy: see {@link room} for reading straight into the reader). */
  push(bytes: Uint8Array): void {
    this.room(bytes.length).set(bytes);
    this.written(bytes.length);
  }

  /**
   * Space for at least `minBytes` more bytes of the file, to read into and then report with
   * {@link written}. The reader keeps one buffer: the unread rest moves to its front, and it grows
   * only for a record longer than it, so reading a file allocates nothing per read.
   */
  room(minBytes: number): Buffer {
    const unread = this.filled - this.pos;
    if (this.buffer.length - unread < minBytes) {
      const larger = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, unread + minBytes));
      this.buffer.copy(larger, 0, this.pos, this.filled);
      this.buffer = larger;
    } else {
      this.buffer.copyWithin(0, this.pos, this.filled);
    }
    this.pos = 0;
    this.filled = unread;
    this.bytes = this.buffer.subarray(0, unread);
    return this.buffer.subarray(unread);
  }

  /** Reports `count` bytes read into the space {@link room} returned. */
  written(count: number): void {
    this.filled += count;
    this.bytes = this.buffer.subarray(0, this.filled);
  }

  /** Marks the end of the file: a last line without a line break is a record too. */
  end(): void {
    this.ended = true;
  }

  /** Reads the next record, skipping empty lines. */
  next(): CsvStep {
    const { bytes, delimiter, delimiterCode } = this;
    const length = bytes.length;
    if (!this.bomChecked) {
      const start = bytes.subarray(this.pos, this.pos + BOM.length);
      const prefix = BOM.slice(0, start.length).every((byte, index) => start[index] === byte);
      if (start.length < BOM.length && !this.ended && prefix) return 'more';
      if (start.length === BOM.length && prefix) this.pos += BOM.length;
      this.bomChecked = true;
    }
    const single = delimiter.length === 1;
    for (;;) {
      if (this.skippingLine && !this.skipRestOfLine()) return this.ended ? 'end' : 'more';
      let p = this.pos;
      if (p >= length) return this.ended ? 'end' : 'more';
      const first = bytes[p];
      if (first === LF || first === CR) {
        if (first === CR && p + 1 >= length && !this.ended) return 'more';
        this.pos = p + (first === CR && bytes[p + 1] === LF ? 2 : 1);
        this.lineNo += 1;
        continue;
      }
      const startLine = this.lineNo;
      let line = startLine;
      this.count = 0;
      for (;;) {
        if (p < length && bytes[p] === QUOTE) {
          // Quoted cell: up to the quote not followed by another; `""` is one quote.
          let from = p + 1;
          let closed = -1;
          for (;;) {
            const quote = bytes.indexOf(QUOTE, from);
            if (quote < 0) break;
            if (bytes[quote + 1] === QUOTE) {
              from = quote + 2;
              continue;
            }
            if (quote + 1 >= length && !this.ended) break; // the next push may bring a second quote
            closed = quote + 1;
            break;
          }
          if (closed < 0) {
            if (!this.ended && length - this.pos <= MAX_RECORD_BYTES) return 'more';
            return this.giveUp(
              startLine,
              this.ended
                ? 'quote not closed before the end of the file'
                : `record longer than ${MAX_RECORD_BYTES} bytes`,
            );
          }
          line += lineBreaks(bytes, p, closed);
          this.addCell(p + 1, closed - 1, 1);
          p = closed;
          const after = bytes[p];
          if (p < length && after !== LF && after !== CR && !startsWith(bytes, delimiter, p)) {
            return this.giveUp(startLine, 'text after a closing quote (expected a delimiter or a line end)');
          }
        } else {
          const start = p;
          for (; p < length; p += 1) {
            const code = bytes[p];
            if (code === delimiterCode && (single || startsWith(bytes, delimiter, p))) break;
            if (code === LF || code === CR) break;
          }
          if (p >= length && !this.ended) {
            if (length - this.pos > MAX_RECORD_BYTES)
              return this.giveUp(startLine, `record longer than ${MAX_RECORD_BYTES} bytes`);
            return 'more';
          }
          this.addCell(start, p, 0);
        }
        if (p >= length) break; // end of file ends the record
        const code = bytes[p];
        if (code === LF) {
          p += 1;
          break;
        }
        if (code === CR) {
          if (p + 1 >= length && !this.ended) return 'more'; // a CRLF split between two pushes
          p += bytes[p + 1] === LF ? 2 : 1;
          break;
        }
        p += delimiter.length;
      }
      this.pos = p;
      this.lineNo = line + 1;
      this.line = line;
      return 'record';
    }
  }

  private addCell(start: number, end: number, quoted: number): void {
    if (this.count === this.starts.length) {
      this.starts = grown(this.starts);
      this.ends = grown(this.ends);
      this.quoted = grown(this.quoted);
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.quoted[this.count] = quoted;
    this.count += 1;
  }

  /** Reports the record starting on `startLine` as unreadable and resumes on the line after it. */
  private giveUp(startLine: number, reason: string): CsvStep {
    this.count = 0;
    this.line = startLine;
    this.reason = reason;
    this.lineNo = startLine + 1;
    this.skippingLine = true;
    this.skipRestOfLine();
    return 'unreadable';
  }

  /** Moves past the next line break; false when the bytes end first (the skipped part is dropped). */
  private skipRestOfLine(): boolean {
    const { bytes } = this;
    for (let p = this.pos; p < bytes.length; p += 1) {
      const code = bytes[p];
      if (code === LF || code === CR) {
        if (code === CR && p + 1 >= bytes.length && !this.ended) {
          this.pos = p;
          return false;
        }
        this.pos = p + (code === CR && bytes[p + 1] === LF ? 2 : 1);
        this.skippingLine = false;
        return true;
      }
    }
    this.pos = bytes.length;
    return false;
  }
}

function grown<T extends Int32Array | Uint8Array>(array: T): T {
  const larger = new (array.constructor as new (length: number) => T)(2 * array.length);
  larger.set(array);
  return larger;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array, at: number): boolean {
  for (let index = 0; index < prefix.length; index += 1)
    if (bytes[at + index] !== prefix[index]) return false;
  return true;
}

/** Line breaks (LF, CRLF or a lone CR) in `bytes` from `from` to before `to`. */
function lineBreaks(bytes: Uint8Array, from: number, to: number): number {
  let count = 0;
  for (let p = from; p < to; p += 1) {
    const code = bytes[p];
    if (code === LF || (code === CR && bytes[p + 1] !== LF)) count += 1;
  }
  return count;
}
