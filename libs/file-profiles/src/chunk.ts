import type { EpochUs } from '@millrace/time';
import type { MappedRow, RecordInput, SampleBatchInput } from './mapping.js';
import type { FileProfile } from './profile.js';

export interface KeyedMessage<Value> {
  key: string;
  value: Value;
}

/** The messages of a run of rows: sample batches (one tag each) for `plant.samples.v1`, records for `plant.records.v1`. */
export interface ChunkMessages {
  samples: KeyedMessage<SampleBatchInput>[];
  records: KeyedMessage<RecordInput>[];
}

/**
 * Collects mapped rows and turns them wide → long: each sample column becomes its tag's series,
 * sent as batches of at most `maxSamplesPerBatch` (the per-message cost of Kafka is paid per batch).
 */
export class ChunkBuilder {
  private readonly ts: number[][];
  private readonly values: number[][];
  private records: KeyedMessage<RecordInput>[] = [];
  private rowCount = 0;

  constructor(
    private readonly profile: FileProfile,
    private readonly source: string,
    private readonly maxSamplesPerBatch = 1_000,
  ) {
    const columns = profile.samples?.length ?? 0;
    this.ts = Array.from({ length: columns }, () => []);
    this.values = Array.from({ length: columns }, () => []);
  }

  get rows(): number {
    return this.rowCount;
  }

  add(row: MappedRow): void {
    this.rowCount += 1;
    for (let column = 0; column < row.values.length; column += 1) {
      const value = row.values[column] ?? Number.NaN;
      // An empty cell is a value the machine did not write: no sample, rather than an invented zero.
      if (Number.isNaN(value)) continue;
      this.ts[column]?.push(row.ts);
      this.values[column]?.push(value);
    }
    if (row.record !== undefined) this.records.push({ key: row.key, value: row.record });
  }

  /** Returns the chunk's messages and starts a new chunk. */
  take(ingestTs: EpochUs): ChunkMessages {
    const samples: KeyedMessage<SampleBatchInput>[] = [];
    (this.profile.samples ?? []).forEach((column, index) => {
      const ts = this.ts[index] ?? [];
      const values = this.values[index] ?? [];
      for (let start = 0; start < ts.length; start += this.maxSamplesPerBatch) {
        const end = Math.min(ts.length, start + this.maxSamplesPerBatch);
        samples.push({
          key: column.tag,
          value: {
            tag: column.tag,
            source: this.source,
            ingestTs,
            ts: ts.slice(start, end),
            values: values.slice(start, end),
          },
        });
      }
      ts.length = 0;
      values.length = 0;
    });
    const records = this.records;
    this.records = [];
    this.rowCount = 0;
    return { samples, records };
  }
}
