import { TABLES, TOPICS, sampleBatchSchema, tagMetaSchema, type SampleBatch } from '@millrace/schema';
import { describe, expect, it } from 'vitest';
import { storeMappings, TagTypes } from './index.js';

const tag = 'plant1/coldmill/pltcm/line/status';
const batch = (values: unknown[], ts0 = 1_736_809_000_000_000): SampleBatch =>
  sampleBatchSchema.parse({ tag, source: 'test', ingestTs: ts0, ts: values.map((_, i) => ts0 + i), values });

describe('storeMappings', () => {
  it('covers every stored topic once, each with its own consumer group', () => {
    const mappings = storeMappings(new TagTypes());
    expect(new Set(mappings.map((m) => m.spec.name)).size).toBe(mappings.length);
    expect(new Set(mappings.map((m) => m.group)).size).toBe(mappings.length);
    expect(mappings.map((m) => m.spec)).toEqual(
      expect.arrayContaining([TOPICS.samples, TOPICS.records, TOPICS.inspections, TOPICS.tags]),
    );
  });

  it('writes good sample batches, refuses the one of the wrong type by index, and reports the newest source time', () => {
    const accepted: SampleBatch[] = [];
    const samples = storeMappings(new TagTypes(), (b) => accepted.push(b)).find(
      (m) => m.spec === TOPICS.samples,
    )!;
    const result = samples.map([batch(['running']), batch([1]), batch(['stopped'], 1_736_809_100_000_000)]);
    expect(result.rejected).toEqual([
      { index: 1, reason: expect.stringContaining('carries string values, got numbers') },
    ]);
    expect(result.writes).toHaveLength(1);
    expect(result.writes[0]?.table).toBe(TABLES.samples);
    const write = result.writes[0];
    expect(write && 'lines' in write ? write.count : -1).toBe(2);
    expect(write && 'lines' in write ? write.lines.match(/value_text="(\w+)"/g) : []).toEqual([
      'value_text="running"',
      'value_text="stopped"',
    ]);
    expect(result.newestSourceTs).toBe(1_736_809_100_000_000);
    expect(accepted).toHaveLength(2);
  });

  it('lets the tag catalog declare a type before the first sample', () => {
    const types = new TagTypes();
    const mappings = storeMappings(types);
    const catalog = mappings.find((m) => m.spec === TOPICS.tags)!;
    catalog.map([tagMetaSchema.parse({ tag, ts: 1, source: 'test', valueType: 'number', unit: 'rpm' })]);
    const samples = mappings.find((m) => m.spec === TOPICS.samples)!;
    expect(samples.map([batch(['text'])]).rejected).toHaveLength(1);
  });
});
