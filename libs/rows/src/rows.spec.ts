import { TABLES, sampleBatchSchema, plantRecordSchema, type SampleBatch } from '@millrace/schema';
import { describe, expect, it } from 'vitest';
import { LineEncoder, type Row } from '@millrace/questdb';
import { batchValueType, recordRows, sampleLines, TagTypes } from './index.js';

const batch = (values: unknown[]): SampleBatch =>
  sampleBatchSchema.parse({
    tag: 'plant1/cells/line1/CAS_01/status',
    source: 'mqtt:plant1/cells/line1/CAS_01/status',
    ingestTs: 1_736_809_001_000_000,
    ts: values.map((_, index) => 1_736_809_000_000_000 + index),
    values,
  });

/** The plain reading of the samples mapping, one row object per sample: the oracle for the column encoder. */
function sampleRowsOf(batch: SampleBatch): Row[] {
  const type = batchValueType(batch);
  return batch.ts.map((ts, index) => {
    const value = batch.values[index];
    return {
      ts,
      tag: batch.tag,
      value: type === 'number' ? (value as number) : type === 'boolean' ? (value ? 1 : 0) : null,
      value_text: type === 'string' ? (value as string) : null,
      quality: batch.quality?.[index] ?? 'good',
      source: batch.source,
      ingest_ts: batch.ingestTs,
    };
  });
}

describe('sampleLines', () => {
  const encoder = new LineEncoder(TABLES.samples);

  it.each([
    ['numbers', [1.5, 2, -0.25]],
    ['booleans', [true, false]],
    ['strings', ['operating', 'fault, "jammed"']],
  ])('encodes a batch of %s exactly as one row per sample would', (_label, values) => {
    const encoded = sampleLines(batch(values), encoder);
    expect(encoded).toEqual(encoder.encode(sampleRowsOf(batch(values))));
    expect(encoded.text.trimEnd().split('\n')).toHaveLength(values.length);
  });

  it('keeps per-sample quality', () => {
    const withQuality = sampleBatchSchema.parse({ ...batch([1, 2]), quality: ['good', 'bad'] });
    expect(sampleLines(withQuality, encoder)).toEqual(encoder.encode(sampleRowsOf(withQuality)));
    expect(sampleLines(withQuality, encoder).text).toContain(',quality=bad,');
  });
});

describe('TagTypes', () => {
  it('learns a tag’s type from its first batch and names a later batch that breaks it', () => {
    const types = new TagTypes();
    expect(types.check(batch([1, 2]))).toBeUndefined();
    expect(types.check(batch(['oops']))).toBe(
      'values: plant1/cells/line1/CAS_01/status carries number values, got strings',
    );
    expect(types.check(batch([3]))).toBeUndefined();
  });

  it('follows a declared type over the first batch', () => {
    const types = new TagTypes();
    types.declare(batch([1]).tag, 'string');
    expect(types.check(batch([1]))).toMatch(/carries string values, got numbers/);
  });
});

describe('recordRows', () => {
  const base = { line: 'pltcm', coilId: '1736809000B100', ts: 1_736_809_000_000_000, source: 'file:SETUP' };

  it('makes one coils row per coil', () => {
    const coil = plantRecordSchema.parse({
      ...base,
      kind: 'coil',
      endTs: 1_736_809_180_000_000,
      alloyCode: 'SPCC',
      entryWidthMm: 1100,
      exitThicknessMm: 0.5,
      weightKg: 15817,
    });
    expect(recordRows(coil)).toEqual({
      table: TABLES.coils,
      rows: [
        {
          ts: base.ts,
          coil_id: base.coilId,
          line: 'pltcm',
          alloy_code: 'SPCC',
          entry_width_mm: 1100,
          entry_thickness_mm: null,
          exit_thickness_mm: 0.5,
          weight_kg: 15817,
          end_ts: 1_736_809_180_000_000,
        },
      ],
    });
  });

  it('spreads setup values into long rows with their stand', () => {
    const setup = plantRecordSchema.parse({
      ...base,
      kind: 'setup',
      stand: 3,
      values: { ThermalCrown_G1: 12, ThermalCrown_G2: 13 },
    });
    const { table, rows } = recordRows(setup);
    expect(table).toBe(TABLES.setupData);
    expect(rows).toEqual([
      { ts: base.ts, coil_id: base.coilId, line: 'pltcm', stand: 3, variable: 'ThermalCrown_G1', value: 12 },
      { ts: base.ts, coil_id: base.coilId, line: 'pltcm', stand: 3, variable: 'ThermalCrown_G2', value: 13 },
    ]);
  });

  it('keeps the measurement point and segment of segment data', () => {
    const segment = plantRecordSchema.parse({
      ...base,
      kind: 'segment',
      mp: 'MP03',
      segment: 7,
      values: { LenSeg: 19.9 },
    });
    expect(recordRows(segment).rows).toEqual([
      {
        ts: base.ts,
        coil_id: base.coilId,
        line: 'pltcm',
        mp: 'MP03',
        segment: 7,
        variable: 'LenSeg',
        value: 19.9,
      },
    ]);
  });
});
