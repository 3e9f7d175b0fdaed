import type { SampleBatch, SampleValue, TagMeta, TagPath } from '@millrace/schema';
import type { Row } from '@millrace/questdb';

export type ValueType = TagMeta['valueType'];

export function valueTypeOf(value: SampleValue): ValueType {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
}

/**
 * Rows of the `samples` table for one batch: numbers in `value`, booleans as 0/1 in `value` (so state tags
 * roll up and chart), strings in `value_text`.
 */
export function sampleRows(batch: SampleBatch, into: Row[] = []): Row[] {
  for (const sample of batch.samples) {
    const value = sample.value;
    into.push({
      ts: sample.ts,
      tag: batch.tag,
      value: typeof value === 'number' ? value : typeof value === 'boolean' ? (value ? 1 : 0) : null,
      value_text: typeof value === 'string' ? value : null,
      quality: sample.quality,
      source: batch.source,
      ingest_ts: batch.ingestTs,
    });
  }
  return into;
}

/**
 * Remembers each tag's value type, from the tag catalog or else from its first sample, and names the
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
    const expected = this.types.get(batch.tag);
    const first = batch.samples[0];
    if (first === undefined) return undefined;
    const type = expected ?? valueTypeOf(first.value);
    for (let index = 0; index < batch.samples.length; index += 1) {
      const actual = valueTypeOf(batch.samples[index]!.value);
      if (actual !== type) {
        return `samples.${index}.value: ${batch.tag} carries ${type} values, got a ${actual}`;
      }
    }
    if (expected === undefined) this.types.set(batch.tag, type);
    return undefined;
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
