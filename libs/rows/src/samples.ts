import type { SampleBatch, SampleValue, TagMeta, TagPath } from '@millrace/schema';
import type { ColumnValue, LineEncoder, Row } from '@millrace/questdb';

export type ValueType = TagMeta['valueType'];

export function valueTypeOf(value: SampleValue): ValueType {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
}

/** The type of a batch's values: a batch holds one type (libs/schema sampleBatchSchema). */
export function batchValueType(batch: SampleBatch): ValueType {
  return valueTypeOf(batch.values[0] ?? 0);
}

/**
 * The `samples` table's ILP lines for one batch, straight from its columns: numbers in `value`, booleans
 * as 0/1 in `value` (so state tags roll up and chart), strings in `value_text`. Tag, source and ingest
 * time are shared by the batch, so they are encoded once, not once per sample.
 */
export function sampleLines(batch: SampleBatch, encoder: LineEncoder): { text: string; skipped: number } {
  const type = batchValueType(batch);
  const varying: Record<string, readonly ColumnValue[]> =
    type === 'string'
      ? { value_text: batch.values as readonly string[] }
      : {
          value:
            type === 'boolean'
              ? (batch.values as readonly boolean[]).map((value) => (value ? 1 : 0))
              : (batch.values as readonly number[]),
        };
  if (batch.quality !== undefined) varying.quality = batch.quality;
  return encoder.encodeColumns(
    {
      tag: batch.tag,
      source: batch.source,
      ingest_ts: batch.ingestTs,
      quality: batch.quality === undefined ? 'good' : undefined,
    },
    batch.ts,
    varying,
  );
}

/**
 * Remembers each tag's value type, from the tag catalog or else from its first batch, and names the
 * batches that break it: a string arriving on a numeric tag would otherwise be written as a null value.
 * Bounded by the number of tags.
 */
export class TagTypes {
  private readonly types = new Map<TagPath, ValueType>();

  declare(tag: TagPath, type: ValueType): void {
    this.types.set(tag, type);
  }

  /** The reason the batch does not fit its tag's type, or undefined when it fits (and is then learnt). */
  check(batch: SampleBatch): string | undefined {
    const actual = batchValueType(batch);
    const expected = this.types.get(batch.tag);
    if (expected === undefined) {
      this.types.set(batch.tag, actual);
      return undefined;
    }
    return actual === expected
      ? undefined
      : `values: ${batch.tag} carries ${expected} values, got ${actual}s`;
  }
}

export function tagMetaRow(meta: TagMeta): Row {
  return {
    ts: meta.ts,
    tag: meta.tag,
    source: meta.source,
    value_type: meta.valueType,
    unit: meta.unit ?? null,
    description: meta.description ?? null,
    expected_period_ms: meta.expectedPeriodMs ?? null,
  };
}
