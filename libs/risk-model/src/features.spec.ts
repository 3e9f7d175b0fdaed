import type { Inspection } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FEATURE_CONFIG,
  extractFeatures,
  FEATURE_NAMES,
  featureTags,
  type CellInspections,
} from './features.js';
import { SeriesStore } from './series.js';

const T = 1_767_000_000_000_000; // µs
const inspection = (
  stage: Inspection['stage'],
  ts: number,
  measurements: Inspection['measurements'],
): Inspection => ({
  cellId: '98765-00001',
  orderId: '98765',
  line: 'line1',
  stage,
  ts: epochUs(ts),
  measurements,
  verdict: 'pass',
});

function cell(overrides: Partial<Inspection['measurements']> = {}): CellInspections {
  return {
    cellId: '98765-00001',
    orderId: '98765',
    line: 'line1',
    ipqc: inspection('IPQC', T, {
      weightG: 70,
      thicknessMm: 5.6,
      weldStrengthN: 42,
      insulationResistanceMOhm: 800,
      ...overrides,
    }),
    fqc: inspection('FQC', T + 20_000_000, { ocvV: 3.62, acirMOhm: 18, capacityAh: 5.05, ...overrides }),
  };
}

function series(): SeriesStore {
  const store = new SeriesStore();
  const p = 'plant1/cells/line1';
  // Samples at T-4s..T+20s every second; the assembly window is [T-3s, T].
  const ts = Array.from({ length: 25 }, (_, i) => T + (i - 4) * 1_000_000);
  store.add(
    `${p}/CAS_01/speed`,
    ts,
    ts.map((t) => (t <= T ? 1000 + (t - T) / 1e4 : 5000)),
  );
  store.add(
    `${p}/CAS_01/vibration`,
    ts,
    ts.map(() => 0.1),
  );
  store.add(
    `${p}/CAS_01/assembly_force`,
    ts,
    ts.map((_, i) => 1200 + i),
  );
  store.add(
    `${p}/FORM_01/voltage`,
    ts,
    ts.map(() => 4),
  );
  store.add(
    `${p}/FORM_01/current`,
    [...ts].reverse(),
    ts.map(() => 3.5),
  );
  return store;
}

const at = (values: Float64Array, name: string) => values[FEATURE_NAMES.indexOf(name)];

describe('extractFeatures', () => {
  it('takes measurements and machine-window statistics over the documented windows', () => {
    const result = extractFeatures(DEFAULT_FEATURE_CONFIG, cell(), series());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(at(result.values, 'ipqc_weight_g')).toBe(70);
    expect(at(result.values, 'ipqc_insulation_log_mohm')).toBeCloseTo(Math.log(800), 12);
    expect(at(result.values, 'fqc_acir_mohm')).toBe(18);
    // Window [T-3s, T]: speeds 700, 800, 900, 1000 (the 5000 after T is outside).
    expect(at(result.values, 'cas_speed_mean_rpm')).toBe(850);
    expect(at(result.values, 'cas_speed_max_rpm')).toBe(1000);
    expect(at(result.values, 'form_current_mean_a')).toBe(3.5);
  });

  it('reports a missing measurement instead of imputing it', () => {
    const missing = cell();
    delete missing.fqc.measurements.acirMOhm;
    expect(extractFeatures(DEFAULT_FEATURE_CONFIG, missing, series())).toEqual({
      ok: false,
      kind: 'missing_measurement',
      reason: 'missing FQC acirMOhm',
    });
  });

  it('refuses a value outside its physical range, with the value', () => {
    const result = extractFeatures(DEFAULT_FEATURE_CONFIG, cell({ weightG: -3 }), series());
    expect(result).toMatchObject({
      ok: false,
      kind: 'out_of_range',
      reason: expect.stringContaining('ipqc_weight_g = -3 g outside'),
    });
  });

  it('says which machine window is empty', () => {
    const result = extractFeatures(DEFAULT_FEATURE_CONFIG, cell(), new SeriesStore());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('no plant1/cells/line1/CAS_01/speed samples in the assembly window');
    expect(result.reason).toContain('FORM_01/voltage');
  });

  it('lists the tags a line needs', () => {
    expect(featureTags(DEFAULT_FEATURE_CONFIG, 'l2')).toEqual([
      'plant1/cells/l2/CAS_01/speed',
      'plant1/cells/l2/CAS_01/vibration',
      'plant1/cells/l2/CAS_01/assembly_force',
      'plant1/cells/l2/FORM_01/voltage',
      'plant1/cells/l2/FORM_01/current',
    ]);
  });
});
