import { describe, expect, it } from 'vitest';
import { coilDataFrame, coilDataGroups, newestCoil, pivotCoilData } from './coil-data.js';
import { dashboardSchema } from './schema.js';

const seg = (coil: string, segment: number, mp: string, value: number, ts: string) => ({
  ts,
  coil_id: coil,
  line: 'pltcm',
  mp,
  segment,
  variable: 'LenSeg',
  value,
});
const segments = [
  seg('B2', 1, 'MP10', 9.7, '2026-07-01T10:03:09.000000Z'),
  seg('B2', 1, 'MP00', 3.1, '2026-07-01T10:03:09.000000Z'),
  seg('B1', 2, 'MP00', 3.2, '2026-07-01T10:00:19.000000Z'),
  seg('B1', 1, 'MP00', 3.0, '2026-07-01T10:00:09.000000Z'),
  seg('B1', 1, 'MP02', 3.3, '2026-07-01T10:00:09.000000Z'),
];
const setup = (stand: number, variable: string, value: number) => ({
  ts: '2026-07-01T10:00:00.000000Z',
  coil_id: 'B1',
  line: 'pltcm',
  stand,
  variable,
  value,
});

describe('coil data', () => {
  it('pivots segment rows to one row per coil and segment with a column per MP, coils in start order', () => {
    const { rows, columns } = pivotCoilData('segment', segments, ['LenSeg']);
    expect(columns.map((c) => c.key)).toEqual(['coil_id', 'segment', 'ts', 'MP00', 'MP02', 'MP10']);
    expect(rows.map((r) => [r.coil_id, r.segment, r.MP00, r.MP02, r.MP10])).toEqual([
      ['B1', 1, 3.0, 3.3, null],
      ['B1', 2, 3.2, null, null],
      ['B2', 1, 3.1, null, 9.7],
    ]);
  });

  it('leaves the coil column out for one coil and orders setup variables as asked', () => {
    const rows = [
      setup(2, 'ThermalCrown_G1', 30),
      setup(1, 'ThermalCrown_G2', 38),
      setup(1, 'ThermalCrown_G1', 24),
    ];
    const table = pivotCoilData('setup', rows, ['ThermalCrown_G2', 'ThermalCrown_G1']);
    expect(table.columns.map((c) => c.key)).toEqual(['stand', 'ThermalCrown_G2', 'ThermalCrown_G1']);
    expect(table.rows).toEqual([
      {
        coil_id: 'B1',
        ts: '2026-07-01T10:00:00.000000Z',
        stand: 1,
        ThermalCrown_G2: 38,
        ThermalCrown_G1: 24,
      },
      {
        coil_id: 'B1',
        ts: '2026-07-01T10:00:00.000000Z',
        stand: 2,
        ThermalCrown_G2: null,
        ThermalCrown_G1: 30,
      },
    ]);
    expect(coilDataGroups('setup', rows, ['ThermalCrown_G2', 'ThermalCrown_G1'])).toEqual({
      categories: ['Stand 1', 'Stand 2'],
      series: [
        { label: 'ThermalCrown_G2', values: [38, null] },
        { label: 'ThermalCrown_G1', values: [24, 30] },
      ],
    });
  });

  it('draws segment rows over time with a line per MP in MP order', () => {
    const frame = coilDataFrame('segment', segments);
    expect(frame.tags).toEqual(['LenSeg at MP00', 'LenSeg at MP02', 'LenSeg at MP10']);
    expect(frame.times).toEqual([
      Date.parse('2026-07-01T10:00:09Z') / 1000,
      Date.parse('2026-07-01T10:00:19Z') / 1000,
      Date.parse('2026-07-01T10:03:09Z') / 1000,
    ]);
    expect(frame.lines[0]).toEqual([3.0, 3.2, 3.1]);
    expect(frame.lines[2]).toEqual([undefined, undefined, 9.7]);
    expect(frame.counts[2]).toEqual([0, 0, 1]);
  });

  it('finds the newest coil', () => {
    expect(newestCoil(segments)).toBe('B2');
    expect(newestCoil([])).toBeUndefined();
  });

  it('checks the $variables of coil-data panels', () => {
    const base = {
      schemaVersion: 1,
      id: 'x',
      title: 'x',
      panels: [
        {
          id: 'p',
          title: 'p',
          type: 'table',
          grid: { x: 0, y: 0, w: 24, h: 4 },
          query: { source: 'coil-data', kind: 'setup', variables: ['$setupVars'] },
        },
      ],
    };
    expect(dashboardSchema.safeParse(base).success).toBe(false);
    const withVariable = {
      ...base,
      variables: [
        {
          type: 'values',
          name: 'setupVars',
          label: 'Setup',
          options: [{ value: 'ThermalCrown_G1', label: 'G1' }],
          default: [],
        },
      ],
    };
    expect(dashboardSchema.safeParse(withVariable).success).toBe(true);
  });
});
