import { encodeSampleBatchBinary } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';
import type { MappedRow } from './mapping.js';
import type { FileProfile } from './profile.js';

/** A message ready for the wire: its key and its bytes. */
export interface EncodedMessage {
  key: string;
  value: Buffer;
}

/**
 * The messages of a run of rows, encoded: sample batches (one tag each) for `plant.samples.v1`,
 * records for `plant.records.v1`. Every sample batch decodes (`decodeMessage`) to a valid sample batch
 * and every record to the record `mapRow` checked against the records schema (chunk.spec.ts decodes
 * them with the topics' schemas).
 */
export interface ChunkMessages {
  samples: EncodedMessage[];
  records: EncodedMessage[];
}

/** The most samples the samples schema allows in one batch. */
export const MAX_SAMPLES_PER_BATCH = 10_000;

/** One sample column of a chunk: its times and values, in arrays that grow by doubling and are reused. */
class SampleColumn {
  ts: Float64Array = new Float64Array(1_024);
  values: Float64Array = new Float64Array(1_024);
  count = 0;

  push(time: number, value: number): void {
    if (this.count === this.ts.length) {
      this.ts = grown(this.ts);
      this.values = grown(this.values);
    }
    this.ts[this.count] = time;
    this.values[this.count] = value;
    this.count += 1;
  }
}

function grown(array: Float64Array): Float64Array {
  const larger = new Float64Array(2 * array.length);
  larger.set(array);
  return larger;
}

/**
 * Collects mapped rows and turns them wide → long: each sample column becomes its tag's series,
 * sent as batches of at most `maxSamplesPerBatch` (the per-message cost of Kafka is paid per batch).
 * Batches are binary (`encodeSampleBatchBinary`, libs/schema): a row's numbers are stored, not
 * formatted as JSON text, which was most of the cost of reading a file.
 */
export class ChunkBuilder {
  private readonly columns: SampleColumn[];
  private records: EncodedMessage[] = [];

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
    this.columns = (profile.samples ?? []).map(() => new SampleColumn());
  }

  add(row: MappedRow): void {
    for (let column = 0; column < this.columns.length; column += 1) {
      const value = row.values[column] ?? Number.NaN;
      // An empty cell is a value the machine did not write: no sample, rather than an invented zero.
      if (!Number.isNaN(value)) this.columns[column]!.push(row.ts, value);
    }
    if (row.record !== undefined)
      this.records.push({ key: row.key, value: Buffer.from(JSON.stringify(row.record), 'utf8') });
  }

  /** Returns the chunk's messages and starts a new chunk. */
  take(ingestTs: EpochUs): ChunkMessages {
    const samples: EncodedMessage[] = [];
    (this.profile.samples ?? []).forEach((sample, index) => {
      const column = this.columns[index]!;
      const head = { tag: sample.tag, source: this.source, ingestTs };
      for (let start = 0; start < column.count; start += this.maxSamplesPerBatch) {
        const end = Math.min(column.count, start + this.maxSamplesPerBatch);
        samples.push({
          key: sample.tag,
          value: encodeSampleBatchBinary(
            head,
            column.ts.subarray(start, end),
            column.values.subarray(start, end),
            end - start,
          ),
        });
      }
      column.count = 0;
    });
    const records = this.records;
    this.records = [];
    return { samples, records };
  }
}
