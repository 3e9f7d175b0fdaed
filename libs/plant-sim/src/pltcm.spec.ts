import { tagPathProblem } from '@millrace/schema';
import { describe, expect, it } from 'vitest';
import { ALLOYS, coilAt, coilByIndex, PLTCM_TAGS, pltcmStateAt, pltcmValues } from './pltcm.js';

const options = { seed: 42, coilSeconds: 180 };
const t0 = Date.UTC(2025, 0, 13, 22, 56, 40);

describe('coil schedule', () => {
  it('names coils <epoch seconds of start>B<3 digits> on a grid of coilSeconds', () => {
    const coil = coilAt(options, t0 + 5_000);
    expect(coil.id).toMatch(/^\d{10}B\d{3}$/);
    expect(coil.startMs % 180_000).toBe(0);
    expect(coil.endMs - coil.startMs).toBe(180_000);
    expect(coil.id.startsWith(String(coil.startMs / 1000))).toBe(true);
    expect(coilAt(options, coil.endMs).index).toBe(coil.index + 1);
  });

  it('is the same coil for the same seed, whatever was asked before', () => {
    const a = coilByIndex(options, 9_648_938);
    coilByIndex(options, 1);
    expect(coilByIndex(options, 9_648_938)).toEqual(a);
    expect(coilByIndex({ ...options, seed: 43 }, 9_648_938)).not.toEqual(a);
  });

  it('draws alloys, widths, gauges and weights in the plant ranges and proportions', () => {
    const counts = new Map<string, number>();
    for (let index = 0; index < 3000; index += 1) {
      const coil = coilByIndex(options, index);
      counts.set(coil.alloyCode, (counts.get(coil.alloyCode) ?? 0) + 1);
      expect([700, 864, 1000, 1059, 1100, 1150, 1170]).toContain(coil.entryWidthMm);
      expect(coil.exitThicknessMm).toBeGreaterThanOrEqual(0.4);
      expect(coil.exitThicknessMm).toBeLessThanOrEqual(1.4);
      expect(coil.entryThicknessMm).toBeGreaterThan(coil.exitThicknessMm);
      expect(coil.weightKg).toBeGreaterThanOrEqual(5_000);
      expect(coil.weightKg).toBeLessThanOrEqual(25_000);
    }
    expect([...counts.keys()].sort()).toEqual(ALLOYS.map(([code]) => code).sort());
    // 09C, TS0 and SPCC make up ~97 % of the line's coils.
    const common = (counts.get('09C') ?? 0) + (counts.get('TS0') ?? 0) + (counts.get('SPCC') ?? 0);
    expect(common / 3000).toBeGreaterThan(0.93);
    expect(counts.get('09C') ?? 0).toBeGreaterThan(counts.get('TS0') ?? 0);
  });
});

describe('line state', () => {
  it('gives identical values for the same seed and instant', () => {
    expect(pltcmValues(pltcmStateAt(options, t0 + 60_000))).toEqual(
      pltcmValues(pltcmStateAt(options, t0 + 60_000)),
    );
    expect(pltcmValues(pltcmStateAt(options, t0 + 60_000))).not.toEqual(
      pltcmValues(pltcmStateAt({ ...options, seed: 7 }, t0 + 60_000)),
    );
  });

  it('has one value per tag, every tag a valid path', () => {
    expect(PLTCM_TAGS).toHaveLength(5 * 5 + 11 + 5 + 6);
    for (const tag of PLTCM_TAGS) expect(tagPathProblem(tag.path)).toBeUndefined();
    expect(pltcmValues(pltcmStateAt(options, t0))).toHaveLength(PLTCM_TAGS.length);
  });

  it('rolls the strip down from entry to exit gauge with realistic mill values', () => {
    const coil = coilAt(options, t0);
    const state = pltcmStateAt(options, coil.startMs + 130_000);
    expect(state.status).toBe('running');
    const [first] = state.thicknessMm;
    const last = state.thicknessMm[10];
    expect(first).toBeCloseTo(coil.entryThicknessMm, 1);
    expect(last).toBeCloseTo(coil.exitThicknessMm, 1);
    for (let mp = 3; mp <= 7; mp += 1) {
      expect(state.thicknessMm[mp] ?? 0).toBeLessThan(state.thicknessMm[mp - 1] ?? 0);
    }
    for (const stand of state.stands) {
      expect(stand.rollForceKn).toBeGreaterThan(2_000);
      expect(stand.rollForceKn).toBeLessThan(25_000);
      expect(stand.motorCurrentA).toBeGreaterThan(100);
    }
    // Mass flow: later stands run faster.
    expect(state.stands[4]?.stripSpeedMMin ?? 0).toBeGreaterThan(state.stands[0]?.stripSpeedMMin ?? 0);
    expect(state.thermalCrownUm[2] ?? 0).toBeGreaterThan(state.thermalCrownUm[0] ?? 0);
  });

  it('threads at the head of a coil and changes coil at its tail', () => {
    const coil = coilAt(options, t0);
    expect(pltcmStateAt(options, coil.startMs + 1_000).status).toBe('threading');
    expect(pltcmStateAt(options, coil.endMs - 1_000).status).toBe('coil_change');
  });
});
