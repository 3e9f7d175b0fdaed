import { inspectionSchema, type Inspection } from '@millrace/schema';
import { describe, expect, it } from 'vitest';
import { CellLine, inspectionTopic, speedSetpointTag, type CellLineOptions } from './cells.js';

const start = Date.UTC(2025, 6, 1, 6, 0, 0);
const HOUR = 3_600_000;

function run(options: CellLineOptions, durationMs: number): { inspections: Inspection[]; line: CellLine } {
  const line = new CellLine(options, start);
  const inspections: Inspection[] = [];
  for (let t = start; t <= start + durationMs; t += 60_000)
    inspections.push(...line.advanceTo(t).inspections);
  return { inspections, line };
}

/** Share of finished cells (OQC passed, or failed at any stage) that were not good. */
function defectRate(inspections: readonly Inspection[]): number {
  const good = new Map<string, boolean>();
  for (const record of inspections) {
    if (record.verdict === 'fail') good.set(record.cellId, false);
    else if (record.stage === 'OQC') good.set(record.cellId, true);
  }
  const outcomes = [...good.values()];
  return outcomes.filter((ok) => !ok).length / outcomes.length;
}

function assembledAfter(inspections: readonly Inspection[], tMs: number): Inspection[] {
  const cells = new Set(
    inspections
      .filter((record) => record.stage === 'IPQC' && record.ts / 1000 > tMs)
      .map((record) => record.cellId),
  );
  return inspections.filter((record) => cells.has(record.cellId));
}

describe('CellLine', () => {
  it('is deterministic: same seed and calls, same signals and records', () => {
    const a = new CellLine({ seed: 7 }, start).advanceTo(start + 600_000);
    const b = new CellLine({ seed: 7 }, start).advanceTo(start + 600_000);
    expect(a).toEqual(b);
    expect(new CellLine({ seed: 8 }, start).advanceTo(start + 600_000)).not.toEqual(a);
  });

  it('publishes every machine signal once per period, on the UNS tag paths', () => {
    const line = new CellLine({ seed: 1 }, start);
    const output = line.advanceTo(start + 2_000);
    expect(output.signals).toHaveLength(3 * 15);
    const tags = new Set(output.signals.map((signal) => signal.tag));
    expect(tags).toContain('plant1/cells/line1/CAS_01/vibration');
    expect(tags).toContain('plant1/cells/line1/FORM_01/status');
    expect(tags).toContain('plant1/cells/line1/EOL_01/soc');
    expect(tags).toContain(speedSetpointTag());
    const speed = output.signals.find((signal) => signal.tag === 'plant1/cells/line1/CAS_01/speed');
    expect(speed?.value).toBeGreaterThan(950);
    expect(speed?.tsMs).toBe(start);
  });

  it('emits IPQC, FQC and OQC records that pass inspectionSchema, in stage order per cell', () => {
    const { inspections } = run({ seed: 3 }, 10 * 60_000);
    expect(inspections.length).toBeGreaterThan(400);
    for (const record of inspections) expect(inspectionSchema.safeParse(record).success).toBe(true);
    const first = inspections.filter((record) => record.cellId === '98765-00001');
    expect(first.map((record) => record.stage)).toEqual(['IPQC', 'FQC', 'OQC']);
    expect(first.map((record) => record.station)).toEqual(['CAS_01', 'FORM_01', 'EOL_01']);
    expect(first[0]?.measurements.weldStrengthN).toBeDefined();
    expect(first[2]?.measurements.selfDischargeMvPerDay).toBeDefined();
    expect(first.every((record) => record.orderId === '98765' && record.line === 'line1')).toBe(true);
    const times = inspections.map((record) => record.ts);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(inspectionTopic('line1', 'OQC')).toBe('plant1/cells/line1/inspections/OQC');
  });

  it('follows the speed setpoint from the instant it is written', () => {
    const line = new CellLine({ seed: 5, speedDriftRpmPerHour: 0 }, start);
    line.advanceTo(start + 60_000);
    line.setSpeedSetpoint(800, start + 60_000);
    const output = line.advanceTo(start + 120_000);
    const speeds = output.signals.filter((signal) => signal.tag.endsWith('CAS_01/speed'));
    expect(speeds.at(-1)?.value).toBeCloseTo(800, -1);
    expect(line.speedSetpointRpm).toBe(800);
    expect(() => line.setSpeedSetpoint(-5, start + 121_000)).toThrow(RangeError);
  });

  it('drifts its speed up over time unless corrected', () => {
    const line = new CellLine({ seed: 5, speedDriftRpmPerHour: 120 }, start);
    const speedAt = (t: number) =>
      Number(
        line
          .advanceTo(t)
          .signals.filter((signal) => signal.tag.endsWith('CAS_01/speed'))
          .at(-1)?.value,
      );
    const early = speedAt(start + 60_000);
    const late = speedAt(start + 2 * HOUR);
    expect(late - early).toBeGreaterThan(180);
  });

  it('moves on to the next order when one is complete', () => {
    const line = new CellLine({ seed: 2, cellPeriodMs: 1_000 }, start);
    line.advanceTo(start + 2_000 * 1_000 + 5_000);
    expect(line.currentOrder.orderId).toBe('98766');
    expect(line.currentOrder.product).toBe('Standard Capacity Cell');
  });

  // Statistical: fails only if the model's quality response to its operating point is broken.
  it('fails far more cells at OQC at a high speed setpoint than at nominal speed (seeded)', () => {
    const nominal = defectRate(
      run({ seed: 11, speedDriftRpmPerHour: 0, speedSetpointRpm: 1000 }, 3 * HOUR).inspections,
    );
    const fast = defectRate(
      run({ seed: 11, speedDriftRpmPerHour: 0, speedSetpointRpm: 1200 }, 3 * HOUR).inspections,
    );
    expect(nominal).toBeLessThan(0.06);
    expect(fast).toBeGreaterThan(nominal * 3);
    expect(fast).toBeGreaterThan(0.12);
  });

  it('lowering the setpoint brings the defect rate back down', () => {
    const line = new CellLine({ seed: 13, speedDriftRpmPerHour: 0, speedSetpointRpm: 1200 }, start);
    const before: Inspection[] = [];
    for (let t = start; t <= start + 2 * HOUR; t += 60_000) before.push(...line.advanceTo(t).inspections);
    line.setSpeedSetpoint(1000, start + 2 * HOUR);
    const after: Inspection[] = [];
    for (let t = start + 2 * HOUR + 120_000; t <= start + 4 * HOUR; t += 60_000)
      after.push(...line.advanceTo(t).inspections);
    // Cells assembled once the drive has settled on the new setpoint.
    expect(defectRate(assembledAfter(after, start + 2 * HOUR + 30_000))).toBeLessThan(defectRate(before) / 2);
  });
});
