import { CellLine, Prng } from '@millrace/plant-sim';
import type { Inspection } from '@millrace/schema';
import { SeriesStore } from './series.js';

/** Seeded uniform numbers (the simulator's mulberry32), e.g. to stand in for Math.random where tfjs shuffles. */
export { seededRandom } from '@millrace/plant-sim';

export interface SimulatedHistory {
  inspections: Inspection[];
  series: SeriesStore;
  /** Setpoint changes made, for reports. */
  setpoints: { tMs: number; rpm: number }[];
}

export interface SimulateOptions {
  seed: number;
  startMs: number;
  hours: number;
  line?: string;
  /** CAS_01 speed drift of the simulator (docs/demo-plant.md); low here so the setpoint schedule dominates. */
  speedDriftRpmPerHour?: number;
  /** Every this often the simulated operator picks a new setpoint in `setpointRangeRpm`. */
  setpointEveryMs?: number;
  setpointRangeRpm?: readonly [number, number];
}

/**
 * History of the demo battery line from `@millrace/plant-sim`, the simulator's own model: inspections
 * plus every numeric machine signal as series. Setpoints wander over a range, as operators change
 * them, so the history covers slow and fast running; what makes a cell fail is the simulator's
 * business and appears nowhere here.
 */
export function simulateHistory(options: SimulateOptions): SimulatedHistory {
  const line = new CellLine(
    {
      seed: options.seed,
      line: options.line ?? 'line1',
      speedDriftRpmPerHour: options.speedDriftRpmPerHour ?? 30,
    },
    options.startMs,
  );
  const random = new Prng(options.seed + 7);
  const everyMs = options.setpointEveryMs ?? 20 * 60_000;
  const [low, high] = options.setpointRangeRpm ?? [950, 1250];
  const endMs = options.startMs + options.hours * 3_600_000;
  const inspections: Inspection[] = [];
  const series = new SeriesStore();
  const setpoints: { tMs: number; rpm: number }[] = [];
  const columns = new Map<string, { ts: number[]; values: number[] }>();
  const take = (output: ReturnType<CellLine['advanceTo']>) => {
    inspections.push(...output.inspections);
    for (const signal of output.signals) {
      if (typeof signal.value !== 'number') continue;
      let column = columns.get(signal.tag);
      if (!column) {
        column = { ts: [], values: [] };
        columns.set(signal.tag, column);
      }
      column.ts.push(signal.tsMs * 1000);
      column.values.push(signal.value);
    }
  };
  for (let tMs = options.startMs; tMs < endMs; tMs += everyMs) {
    const rpm = Math.round(low + random.next() * (high - low));
    setpoints.push({ tMs, rpm });
    take(line.setSpeedSetpoint(rpm, tMs));
    take(line.advanceTo(Math.min(endMs, tMs + everyMs) - 1));
  }
  // Let the last cells reach OQC, so they are labelled.
  take(line.advanceTo(endMs + 120_000));
  for (const [tag, column] of columns) series.add(tag, column.ts, column.values);
  inspections.sort((a, b) => a.ts - b.ts);
  return { inspections, series, setpoints };
}
