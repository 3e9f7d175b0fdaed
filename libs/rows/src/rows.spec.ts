import { TABLES, sampleBatchSchema, plantRecordSchema, type SampleBatch } from '@millrace/schema';
import { describe, expect, it } from 'vitest';
import { recordRows, sampleRows, TagTypes } from './index.js';

const batch = (values: unknown[]): SampleBatch =>
  sampleBatchSchema.parse({
    tag: 'plant1/cells/line1/CAS_01/status',
    source: 'mqtt:plant1/cells/line1/CAS_01/status',
    ingestTs: 1_736_809_001_000_000,
    samples: values.map((value, index) => ({ ts: 1_736_809_000_000_000 + index, value })),
  });

describe('sampleRows', () => {
  it('puts numbers and booleans in value, strings in value_text', () => {
    const rows = sampleRows(batch([1.5, true, 'operating']));
    expect(rows.map((row) => [row.value, row.value_text])).toEqual([
      [1.5, null],
      [1, null],
      [null, 'operating'],
    ]);
    expect(rows[0]).toMatchObject({
      quality: 'good',
      ingest_ts: 1_736_809_001_000_000,
      source: 'mqtt:plant1/cells/line1/CAS_01/status',
    });
    for (const row of rows)
      expect(Object.keys(row).every((key) => TABLES.samples.columns.some((c) => c.name === key))).toBe(true);
  });
});

describe('TagTypes', () => {
  it('learns a tag’s type from its first batch and names a later batch that breaks it', () => {
    const types = new TagTypes();
    expect(types.check(batch([1, 2]))).toBeUndefined();
    expect(types.check(batch([3, 'oops']))).toBe(
      'samples.1.value: plant1/cells/line1/CAS_01/status carries number values, got a string',
    );
  });

  it('follows a declared type over the first sample', () => {
    const types = new TagTypes();
    types.declare(batch([1]).tag, 'string');
    expect(types.check(batch([1]))).toMatch(/carries string values, got a number/);
  });

  it('refuses a batch that mixes types even when the tag is new', () => {
    expect(new TagTypes().check(batch(['a', 2]))).toMatch(/samples\.1\.value/);
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
