import { decodeMessage, plantRecordSchema, TOPICS } from '@millrace/schema';
import { epochUs, usToIso } from '@millrace/time';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ChunkBuilder } from './chunk.js';
import { textCells } from './csv.js';
import { DEFAULT_PROFILES } from './defaults.js';
import { compileFileMapping, readHeader, type MappedRow } from './mapping.js';
import { createProfileMatcher, parseProfiles, type FileProfile } from './profile.js';
import { fixtureFile, type FixtureKind } from './testing.js';

const match = createProfileMatcher(DEFAULT_PROFILES);
const start = Date.UTC(2025, 0, 13, 23, 56, 40); // local wall time in Berlin (UTC+1 in January)

function read(kind: FixtureKind, options: { rows?: number; unitStyle?: 'inline' | 'second-line' } = {}) {
  const file = fixtureFile(kind, { coilId: '1736809000B100', startWallMs: start, ...options });
  const profile = match(file.name);
  if (!profile) throw new Error(`no profile for ${file.name}`);
  const cells: string[][] = parse(file.bytes, {
    delimiter: profile.delimiter,
    encoding: profile.encoding,
    relax_column_count: true,
    relax_quotes: true,
  });
  const header = cells.slice(0, profile.headerRows);
  const mapping = compileFileMapping(profile, header, {
    fileName: file.name,
    plantTimeZone: 'Europe/Berlin',
  });
  const rows = cells.slice(profile.headerRows).map((row) => mapping.mapRow(textCells(row)));
  return { file, profile, mapping, rows };
}

function decoded<T>(result: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

function good(rows: ReturnType<typeof read>['rows']): MappedRow[] {
  return rows.map((result) => {
    if (!result.ok) throw new Error(result.reason);
    return result.row;
  });
}

describe('default profiles on doc-shaped fixtures', () => {
  it('match each file type by name and never a .tmp file', () => {
    expect(match('COIL_1B100.csv')?.name).toBe('COIL');
    expect(match('COILER_1B100.txt')?.name).toBe('COILER');
    expect(match('SETUP_1B100.csv')?.name).toBe('SETUP');
    expect(match('COIL_1B100.csv.tmp')).toBeUndefined();
    expect(match('README.md')).toBeUndefined();
  });

  it('COIL → one coil record with decimal commas and both instants in plant time', () => {
    for (const unitStyle of ['second-line', 'inline'] as const) {
      const [row] = good(read('COIL', { unitStyle }).rows);
      expect(row?.record).toMatchObject({
        kind: 'coil',
        coilId: '1736809000B100',
        line: 'pltcm',
        alloyCode: 'DC01',
        entryWidthMm: 1020,
        entryThicknessMm: 2.5,
        exitThicknessMm: 0.8,
        weightKg: 18250,
      });
      expect(usToIso(epochUs(row?.record?.ts as number))).toBe('2025-01-13T22:56:40.000000Z');
      expect(plantRecordSchema.safeParse(row?.record).success).toBe(true);
    }
  });

  it('COILER → coiler records by column and samples of coiler/<column>, coil id from the file name', () => {
    const { rows, profile, mapping } = read('COILER', { rows: 3 });
    expect(mapping.sampleTags).toContainEqual({
      tag: 'plant1/coldmill/pltcm/coiler/CoilerTension',
      unit: 'kN',
    });
    const mapped = good(rows);
    expect(mapped[1]?.record).toMatchObject({
      kind: 'coiler',
      coilId: '1736809000B100',
      values: { CoilerTension: 100.5, CoilerDiameter: 601, CoilerSpeed: 401 },
    });
    expect(profile.samples?.map((s) => s.tag)).toContain('plant1/coldmill/pltcm/coiler/CoilerTension');
    expect([...(mapped[1]?.values ?? [])]).toEqual([100.5, 601, 401]);
  });

  it('MEAS → wide to long: one batch per MP tag, each decoding against the samples schema', () => {
    const { rows, profile } = read('MEAS', { rows: 2_500 });
    const chunk = new ChunkBuilder(profile, 'file:MEAS', 1_000);
    const mapped = good(rows);
    for (const row of mapped) chunk.add(row);
    const { samples, records } = chunk.take(epochUs(1_736_809_000_000_000));
    expect(records).toHaveLength(0);
    expect(samples).toHaveLength(11 * 3); // 2 500 samples per tag in batches of ≤ 1 000
    expect(new Set(samples.map((s) => s.key)).size).toBe(11);
    expect(samples[0]?.key).toBe('plant1/coldmill/pltcm/mp00/thickness_file');
    const batches = samples.map((s) => decoded(decodeMessage(TOPICS.samples, s.value)));
    expect(batches.reduce((sum, batch) => sum + batch.ts.length, 0)).toBe(2_500 * 11);
    // The third MP column's series, in order across its three batches: every row's instant and value.
    const mp02 = batches.filter((batch) => batch.tag === 'plant1/coldmill/pltcm/mp02/thickness_file');
    expect(mp02.flatMap((batch) => batch.ts)).toEqual(mapped.map((row) => row.ts));
    expect(mp02.flatMap((batch) => batch.values as number[])).toEqual(mapped.map((row) => row.values[2]));
    expect(chunk.take(epochUs(1)).samples).toHaveLength(0);
  });

  it('STRIP, SEG and SETUP → strip, segment and setup records; SETUP read as ISO-8859-1', () => {
    expect(good(read('STRIP').rows)[0]?.record).toMatchObject({
      kind: 'strip',
      values: { StripSpeed: 390, WeldDetected: 1 },
    });
    const seg = good(read('SEG', { rows: 12 }).rows);
    expect(seg[11]?.record).toMatchObject({
      kind: 'segment',
      mp: 'MP00',
      segment: 1,
      values: { LenSeg: 10 },
    });
    const setup = read('SETUP');
    expect(setup.mapping.columns[5]).toEqual({ name: 'ThermalCrown_G1', unit: 'µm' });
    const rows = good(setup.rows);
    expect(rows).toHaveLength(5);
    expect(rows[2]?.record).toMatchObject({
      kind: 'setup',
      stand: 3,
      values: { RollForceSetup: 8000, ThermalCrown_G5: 14.2 },
    });
    for (const row of rows) expect(plantRecordSchema.safeParse(row.record).success).toBe(true);
  });
});

describe('bad rows and bad files', () => {
  const profile = DEFAULT_PROFILES.find((p) => p.name === 'STRIP') as FileProfile;
  const header = [
    ['Time', 'StripPosition', 'StripSpeed', 'WeldDetected'],
    ['', '[m]', '[m/min]', '[0/1]'],
  ];
  const mapping = compileFileMapping(profile, header, {
    fileName: 'STRIP_C1.csv',
    plantTimeZone: 'Europe/Berlin',
  });

  it('gives each bad row a reason and keeps empty cells as missing values', () => {
    expect(mapping.mapRow(textCells(['13.01.2025 10:00:00,000', 'x', '1', '0']))).toEqual({
      ok: false,
      reason: 'column StripPosition: "x" is not a number',
    });
    expect(mapping.mapRow(textCells(['13.01.2025 10:00:00,000', '1']))).toEqual({
      ok: false,
      reason: 'expected 4 cells, got 2',
    });
    expect(mapping.mapRow(textCells(['30.03.2025 02:15:00,000', '1', '2', '0']))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not exist'),
    });
    const empty = mapping.mapRow(textCells(['13.01.2025 10:00:00,000', '', '2,5', '0']));
    expect(empty.ok && empty.row.record).toMatchObject({ values: { StripSpeed: 2.5, WeldDetected: 0 } });
    expect(empty.ok && Number.isNaN(empty.row.values[0])).toBe(true);
  });

  it('refuses a file whose header lacks a profile column or has another unit', () => {
    expect(() =>
      compileFileMapping(profile, [['Time', 'StripSpeed']], {
        fileName: 'STRIP_C1.csv',
        plantTimeZone: 'UTC',
      }),
    ).toThrow(/lacks column\(s\) StripPosition, WeldDetected/);
    expect(() =>
      compileFileMapping(profile, [['Time', 'StripPosition[km]', 'StripSpeed', 'WeldDetected']], {
        fileName: 'STRIP_C1.csv',
        plantTimeZone: 'UTC',
      }),
    ).toThrow(/in km, profile STRIP expects m/);
  });

  it('refuses a record the schema would refuse (negative weight)', () => {
    const coil = DEFAULT_PROFILES.find((p) => p.name === 'COIL') as FileProfile;
    const coilMapping = compileFileMapping(
      coil,
      [
        [
          'CoilId',
          'AlloyCode',
          'EntryWidth',
          'EntryThickness',
          'ExitThickness',
          'Weight',
          'StartTime',
          'EndTime',
        ],
      ],
      { fileName: 'COIL_C1.csv', plantTimeZone: 'UTC' },
    );
    const result = coilMapping.mapRow(
      textCells([
        'C1',
        'DC01',
        '1000',
        '2',
        '0,8',
        '-5',
        '13.01.2025 10:00:00,000',
        '13.01.2025 10:03:00,000',
      ]),
    );
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('weightKg') });
  });

  it('readHeader takes units inline or from the second line', () => {
    expect(
      readHeader([
        ['Time', 'A [mm]', 'B[kN]', 'C'],
        ['', '', '', '[s]'],
      ]),
    ).toEqual([
      { name: 'Time' },
      { name: 'A', unit: 'mm' },
      { name: 'B', unit: 'kN' },
      { name: 'C', unit: 's' },
    ]);
  });

  it('parseProfiles refuses duplicates, bad tags and profiles that produce nothing', () => {
    const base = { ...DEFAULT_PROFILES[0] };
    expect(() => parseProfiles([base, base])).toThrow(/duplicate profile name/);
    expect(() => parseProfiles([{ ...base, record: undefined }])).toThrow(/samples, a record, or both/);
    expect(() => parseProfiles([{ ...base, samples: [{ column: 'A', tag: 'not a tag' }] }])).toThrow(
      /samples.0.tag/,
    );
  });
});
