import type { EpochUs } from '@millrace/time';
import type { MappedRow, SampleBatchInput } from './mapping.js';
import type { FileProfile } from './profile.js';

/** A message ready for the wire: its key and its JSON bytes. */
export interface EncodedMessage {
  key: string;
  value: Buffer;
}

/**
 * The messages of a run of rows, encoded: sample batches (one tag each) for `plant.samples.v1`,
 * records for `plant.records.v1`. Every sample batch decodes to a valid
 * {@link SampleBatchInput} and every record to the record `mapRow` checked against the records
 * schema (chunk.spec.ts decodes them with the topics' schemas).
 */
export interface ChunkMessages {
  samples: EncodedMessage[];
  records: EncodedMessage[];
}

/** The most samples the samples schema allows in one batch. */
export const MAX_SAMPLES_PER_BATCH = 10_000;
const MAX_SCALE = 12;
const POWERS_OF_TEN = Array.from({ length: MAX_SCALE + 1 }, (_, k) => 10 ** k);
const POWERS_OF_TEN_16 = Array.from({ length: 17 }, (_, k) => 10 ** k);
const COMMA = 0x2c;
const DOT = 0x2e;
const MINUS = 0x2d;
const ZERO = 0x30;

/** A byte buffer that grows by doubling; reused from chunk to chunk. */
class Bytes {
  buffer = Buffer.allocUnsafe(1 << 16);
  length = 0;
  /** Decimals of the last number written (values only). */
  scale = 0;

  reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** One sample column's batches: JSON text of their `ts` and `values` arrays, comma-joined within a batch. */
class ColumnText {
  readonly ts = new Bytes();
  readonly values = new Bytes();
  count = 0;
  /** Byte offsets in `ts` and `values` where each batch starts. */
  readonly batches: { ts: number; values: number }[] = [];
}

/**
 * Collects mapped rows and turns them wide → long: each sample column becomes its tag's series,
 * sent as batches of at most `maxSamplesPerBatch` (the per-message cost of Kafka is paid per batch).
 *
 * Batches are written as JSON text while rows arrive, column by column, instead of as objects
 * that `JSON.stringify` walks later: number formatting was the largest cost of ingesting a file.
 * A row's timestamp is formatted once for all its columns, and a value as a decimal `m / 10^k`
 * that is exactly the same double (a file's `2,4990` becomes `2.499`, or `2.4990` next to values
 * with four decimals), so the text decodes to the very numbers `JSON.stringify` would have written.
 */
export class ChunkBuilder {
  private readonly columns: ColumnText[];
  private records: EncodedMessage[] = [];
  /** Digits of the current row's timestamp, shared by its columns. */
  private readonly tsDigits = new Bytes();

  constructor(
    private readonly profile: FileProfile,
    private readonly source: string,
    private readonly maxSamplesPerBatch = 1_000,
  ) {
    if (
      !Number.isInteger(maxSamplesPerBatch) ||
      maxSamplesPerBatch < 1 ||
      maxSamplesPerBatch > MAX_SAMPLES_PER_BATCH
    )
      throw new RangeError(
        `samples per batch must be 1 to ${MAX_SAMPLES_PER_BATCH}, not ${maxSamplesPerBatch}`,
      );
    this.columns = (profile.samples ?? []).map(() => new ColumnText());
  }

  add(row: MappedRow): void {
    this.tsDigits.length = 0;
    writeScaled(this.tsDigits, row.ts, 0);
    const tsDigits = this.tsDigits.length;
    for (let column = 0; column < this.columns.length; column += 1) {
      const value = row.values[column] ?? Number.NaN;
      // An empty cell is a value the machine did not write: no sample, rather than an invented zero.
      if (Number.isNaN(value)) continue;
      const text = this.columns[column] as ColumnText;
      const first = text.count % this.maxSamplesPerBatch === 0;
      if (first) {
        text.batches.push({ ts: text.ts.length, values: text.values.length });
      } else {
        text.ts.reserve(1);
        text.ts.buffer[text.ts.length++] = COMMA;
        text.values.reserve(1);
        text.values.buffer[text.values.length++] = COMMA;
      }
      text.ts.reserve(tsDigits);
      copyBytes(this.tsDigits.buffer, 0, tsDigits, text.ts);
      this.writeValue(text.values, value);
      text.count += 1;
    }
    if (row.record !== undefined)
      this.records.push({ key: row.key, value: Buffer.from(JSON.stringify(row.record), 'utf8') });
  }

  /** Returns the chunk's messages and starts a new chunk. */
  take(ingestTs: EpochUs): ChunkMessages {
    const samples: EncodedMessage[] = [];
    (this.profile.samples ?? []).forEach((sample, index) => {
      const text = this.columns[index] as ColumnText;
      // The fields other than the arrays go through JSON.stringify, so tag and source are escaped as ever.
      const head: Omit<SampleBatchInput, 'ts' | 'values'> = {
        tag: sample.tag,
        source: this.source,
        ingestTs,
      };
      const open = Buffer.from(`${JSON.stringify(head).slice(0, -1)},"ts":[`, 'utf8');
      const middle = Buffer.from('],"values":[', 'utf8');
      const close = Buffer.from(']}', 'utf8');
      text.batches.forEach((batch, position) => {
        const next = text.batches[position + 1];
        const tsEnd = next?.ts ?? text.ts.length;
        const valuesEnd = next?.values ?? text.values.length;
        samples.push({
          key: sample.tag,
          value: Buffer.concat([
            open,
            text.ts.buffer.subarray(batch.ts, tsEnd),
            middle,
            text.values.buffer.subarray(batch.values, valuesEnd),
            close,
          ]),
        });
      });
      text.ts.length = 0;
      text.values.length = 0;
      text.count = 0;
      text.batches.length = 0;
    });
    const records = this.records;
    this.records = [];
    return { samples, records };
  }

  /** Writes a finite number as JSON: `m / 10^k` when that is exactly the double, else as JavaScript prints it. */
  private writeValue(out: Bytes, value: number): void {
    out.reserve(40); // sign, "0.", up to 12 zeros of scale and 16 digits
    let magnitude = value;
    if (value < 0) {
      out.buffer[out.length++] = MINUS;
      magnitude = -value;
    }
    // The column's last scale first: a column's values mostly share their number of decimals.
    for (let attempt = -1; attempt <= MAX_SCALE; attempt += 1) {
      const scale = attempt < 0 ? out.scale : attempt;
      const power = POWERS_OF_TEN[scale] as number;
      const mantissa = Math.round(magnitude * power);
      if (mantissa > Number.MAX_SAFE_INTEGER) break;
      // Exact mantissa and power: the division is correctly rounded, as a JSON reader's parse of the text is.
      if (mantissa / power !== magnitude) continue;
      out.scale = scale;
      writeScaled(out, mantissa, scale);
      return;
    }
    const printed = String(magnitude);
    out.reserve(printed.length);
    out.length += out.buffer.write(printed, out.length, 'latin1');
  }
}

/** Appends `from[start, end)` to `out` (room reserved); a loop, as Buffer#copy costs more than a few bytes. */
function copyBytes(from: Buffer, start: number, end: number, out: Bytes): void {
  const buffer = out.buffer;
  let at = out.length;
  for (let index = start; index < end; index += 1) buffer[at++] = from[index] as number;
  out.length = at;
}

/**
 * Appends `mantissa / 10^scale` in decimal (`24990`, 4 → `2.4990`; `25`, 2 → `0.25`), room
 * reserved; `mantissa` is an integer from 0 to 2^53.
 */
function writeScaled(out: Bytes, mantissa: number, scale: number): void {
  let digits = 1;
  while (digits < 16 && mantissa >= (POWERS_OF_TEN_16[digits] as number)) digits += 1;
  if (digits <= scale) digits = scale + 1;
  const length = scale > 0 ? digits + 1 : digits;
  const buffer = out.buffer;
  let at = out.length + length - 1;
  let rest = mantissa;
  for (let written = 0; written < digits; written += 1) {
    if (written === scale && scale > 0) buffer[at--] = DOT;
    const next = Math.floor(rest / 10);
    buffer[at--] = ZERO + (rest - next * 10);
    rest = next;
  }
  out.length += length;
}
