import { StringDecoder } from 'node:string_decoder';

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

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
/** A record still open after this many characters is given up (a stray quote), so memory stays bounded. */
export const MAX_RECORD_CHARS = 1 << 20;

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
 * record over {@link MAX_RECORD_CHARS}) costs only itself: reading resumes on the line after the
 * one it starts on, instead of the rest of the file vanishing into one open quote.
 *
 * Written for speed (csv-parse's per-record info objects and async iteration cost more than the
 * rest of the ingest): one reused `cells` array, a char-code scan, no per-record allocation
 * besides the cell strings.
 */
export class CsvReader {
  /** The current record's cells; reused, valid until the next call to {@link next}. */
  readonly cells: string[] = [];
  /** 1-based physical line the current record ends on (`record`) or starts on (`unreadable`). */
  line = 0;
  /** Why the current record is unreadable (`unreadable` only). */
  reason = '';

  private readonly decoder: StringDecoder | undefined;
  private readonly delimiter: string;
  private readonly delimiterCode: number;
  private text = '';
  private pos = 0;
  /** Line number of the character at `pos`. */
  private lineNo = 1;
  private ended = false;
  private bomChecked = false;
  /** Set when an unreadable record was given up and the rest of its first line is still to skip. */
  private skippingLine = false;

  constructor(dialect: CsvDialect) {
    if (dialect.delimiter.length < 1) throw new RangeError('empty CSV delimiter');
    this.delimiter = dialect.delimiter;
    this.delimiterCode = dialect.delimiter.charCodeAt(0);
    // latin1 is one byte a character: no character is ever split between two pushes.
    this.decoder = dialect.encoding === 'utf8' ? new StringDecoder('utf8') : undefined;
  }

  /** Appends the next bytes of the file. */
  push(bytes: Buffer): void {
    const decoded = this.decoder ? this.decoder.write(bytes) : bytes.toString('latin1');
    this.text = this.pos >= this.text.length ? decoded : this.text.slice(this.pos) + decoded;
    this.pos = 0;
  }

  /** Marks the end of the file: a last line without a line break is a record too. */
  end(): void {
    const rest = this.decoder ? this.decoder.end() : '';
    this.text = this.text.slice(this.pos) + rest;
    this.pos = 0;
    this.ended = true;
  }

  /** Reads the next record, skipping empty lines. */
  next(): CsvStep {
    if (!this.bomChecked) {
      // The UTF-8 BOM's bytes, decoded: one character, or three read as ISO-8859-1 (csv-parse's `bom`).
      const bom = this.decoder ? '\uFEFF' : '\u00EF\u00BB\u00BF';
      const start = this.text.slice(this.pos, this.pos + bom.length);
      if (start.length < bom.length && !this.ended && bom.startsWith(start)) return 'more';
      if (start === bom) this.pos += bom.length;
      this.bomChecked = true;
    }
    const { text, cells, delimiter, delimiterCode } = this;
    const length = text.length;
    const single = delimiter.length === 1;
    for (;;) {
      if (this.skippingLine && !this.skipRestOfLine()) return this.ended ? 'end' : 'more';
      let p = this.pos;
      if (p >= length) return this.ended ? 'end' : 'more';
      const first = text.charCodeAt(p);
      if (first === LF || first === CR) {
        if (first === CR && p + 1 >= length && !this.ended) return 'more';
        this.pos = p + (first === CR && text.charCodeAt(p + 1) === LF ? 2 : 1);
        this.lineNo += 1;
        continue;
      }
      const startLine = this.lineNo;
      let line = startLine;
      cells.length = 0;
      for (;;) {
        if (p < length && text.charCodeAt(p) === QUOTE) {
          // Quoted cell: up to the quote not followed by another; `""` is one quote.
          let value = '';
          let from = p + 1;
          let closed = -1;
          for (;;) {
            const quote = text.indexOf('"', from);
            if (quote < 0) break;
            if (text.charCodeAt(quote + 1) === QUOTE) {
              value += text.slice(from, quote + 1);
              from = quote + 2;
              continue;
            }
            if (quote + 1 >= length && !this.ended) break; // the next push may bring a second quote
            value += text.slice(from, quote);
            closed = quote + 1;
            break;
          }
          if (closed < 0) {
            if (!this.ended && length - this.pos <= MAX_RECORD_CHARS) return 'more';
            return this.giveUp(
              startLine,
              this.ended
                ? 'quote not closed before the end of the file'
                : `record longer than ${MAX_RECORD_CHARS} characters`,
            );
          }
          line += lineBreaks(text, p, closed);
          p = closed;
          const after = text.charCodeAt(p);
          if (p < length && after !== LF && after !== CR && !text.startsWith(delimiter, p)) {
            return this.giveUp(startLine, 'text after a closing quote (expected a delimiter or a line end)');
          }
          cells.push(value);
        } else {
          const start = p;
          for (; p < length; p += 1) {
            const code = text.charCodeAt(p);
            if (code === delimiterCode && (single || text.startsWith(delimiter, p))) break;
            if (code === LF || code === CR) break;
          }
          if (p >= length && !this.ended) {
            if (length - this.pos > MAX_RECORD_CHARS)
              return this.giveUp(startLine, `record longer than ${MAX_RECORD_CHARS} characters`);
            return 'more';
          }
          cells.push(text.slice(start, p));
        }
        if (p >= length) break; // end of file ends the record
        const code = text.charCodeAt(p);
        if (code === LF) {
          p += 1;
          break;
        }
        if (code === CR) {
          if (p + 1 >= length && !this.ended) return 'more'; // a CRLF split between two pushes
          p += text.charCodeAt(p + 1) === LF ? 2 : 1;
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

  /** Reports the record starting on `startLine` as unreadable and resumes on the line after it. */
  private giveUp(startLine: number, reason: string): CsvStep {
    this.line = startLine;
    this.reason = reason;
    this.lineNo = startLine + 1;
    this.skippingLine = true;
    this.skipRestOfLine();
    return 'unreadable';
  }

  /** Moves past the next line break; false when the text ends first (the skipped part is dropped). */
  private skipRestOfLine(): boolean {
    const { text } = this;
    for (let p = this.pos; p < text.length; p += 1) {
      const code = text.charCodeAt(p);
      if (code === LF || code === CR) {
        if (code === CR && p + 1 >= text.length && !this.ended) {
          this.pos = p;
          return false;
        }
        this.pos = p + (code === CR && text.charCodeAt(p + 1) === LF ? 2 : 1);
        this.skippingLine = false;
        return true;
      }
    }
    this.pos = text.length;
    return false;
  }
}

/** Line breaks (LF, CRLF or a lone CR) in `text` from `from` to before `to`. */
function lineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let p = from; p < to; p += 1) {
    const code = text.charCodeAt(p);
    if (code === LF || (code === CR && text.charCodeAt(p + 1) !== LF)) count += 1;
  }
  return count;
}
