import type { CellMeasurements, Inspection } from '@millrace/schema';
import { usToIso, type EpochUs } from '@millrace/time';
import { z } from 'zod';
import { STATS_WIDTH, type SeriesReader } from './series.js';

/**
 * How features are taken from the plant; saved in the model artifact, so serving uses exactly the
 * windows the model was trained on.
 */
export const featureConfigSchema = z.object({
  /** Machine tags are `<tagPrefix>/<line>/<machine>/<signal>` (ISA-95 site/area, then the cell's line). */
  tagPrefix: z.string().min(1).default('plant1/cells'),
  /** CAS_01 window of a cell: `[IPQC ts - assemblyWindowMs, IPQC ts]` (the cell is assembled at IPQC ts). */
  assemblyWindowMs: z.number().int().min(1).default(3_000),
});
export type FeatureConfig = z.infer<typeof featureConfigSchema>;
export const DEFAULT_FEATURE_CONFIG: FeatureConfig = featureConfigSchema.parse({});

/** A cell as the model sees it: scored once its IPQC and FQC are in (see docs/inference.md, "What is scored"). */
export interface CellInspections {
  cellId: string;
  orderId: string;
  line: string;
  ipqc: Inspection;
  fqc: Inspection;
}

/** A machine window a feature reads: which machine signal, over which part of the cell's life. */
export interface MachineSignal {
  machine: 'CAS_01' | 'FORM_01';
  signal: string;
  window: 'assembly' | 'formation';
}

type Source =
  | { kind: 'measurement'; stage: 'IPQC' | 'FQC'; field: keyof CellMeasurements; transform?: 'log' }
  | { kind: 'window'; of: MachineSignal; stat: 'mean' | 'max' };

export interface FeatureSpec {
  name: string;
  unit: string;
  description: string;
  source: Source;
  /** Physical range of the raw value (before any transform); outside it the cell is not scored. */
  range: readonly [number, number];
}

const measurement = (
  name: string,
  stage: 'IPQC' | 'FQC',
  field: keyof CellMeasurements,
  unit: string,
  range: readonly [number, number],
  description: string,
  transform?: 'log',
): FeatureSpec => ({
  name,
  unit,
  description,
  source: transform
    ? { kind: 'measurement', stage, field, transform }
    : { kind: 'measurement', stage, field },
  range,
});

const windowed = (
  name: string,
  of: MachineSignal,
  stat: 'mean' | 'max',
  unit: string,
  range: readonly [number, number],
  description: string,
): FeatureSpec => ({ name, unit, description, source: { kind: 'window', of, stat }, range });

const casSpeed: MachineSignal = { machine: 'CAS_01', signal: 'speed', window: 'assembly' };
const casVibration: MachineSignal = { machine: 'CAS_01', signal: 'vibration', window: 'assembly' };
const casForce: MachineSignal = { machine: 'CAS_01', signal: 'assembly_force', window: 'assembly' };
const formVoltage: MachineSignal = { machine: 'FORM_01', signal: 'voltage', window: 'formation' };
const formCurrent: MachineSignal = { machine: 'FORM_01', signal: 'current', window: 'formation' };

/**
 * The documented feature list (docs/inference.md). Order is the model's input order; an artifact stores
 * the names and a model is refused if they differ. Ranges are physical plausibility, wide on purpose:
 * they catch a unit mix-up or a broken sensor, not a bad cell.
 */
export const FEATURES: readonly FeatureSpec[] = [
  measurement('ipqc_weight_g', 'IPQC', 'weightG', 'g', [1, 5_000], 'cell weight at assembly'),
  measurement('ipqc_thickness_mm', 'IPQC', 'thicknessMm', 'mm', [0.1, 100], 'cell thickness at assembly'),
  measurement('ipqc_weld_strength_n', 'IPQC', 'weldStrengthN', 'N', [0, 1_000], 'tab weld pull strength'),
  measurement(
    'ipqc_insulation_log_mohm',
    'IPQC',
    'insulationResistanceMOhm',
    'ln MΩ',
    [0.001, 1e7],
    'natural log of the insulation resistance (it spans decades)',
    'log',
  ),
  measurement('fqc_ocv_v', 'FQC', 'ocvV', 'V', [0, 5], 'open-circuit voltage after formation'),
  measurement(
    'fqc_acir_mohm',
    'FQC',
    'acirMOhm',
    'mΩ',
    [0.01, 1_000],
    'AC internal resistance after formation',
  ),
  measurement('fqc_capacity_ah', 'FQC', 'capacityAh', 'Ah', [0.01, 500], 'capacity measured in formation'),
  windowed(
    'cas_speed_mean_rpm',
    casSpeed,
    'mean',
    'rpm',
    [0, 5_000],
    'CAS_01 speed, mean over the assembly window',
  ),
  windowed(
    'cas_speed_max_rpm',
    casSpeed,
    'max',
    'rpm',
    [0, 5_000],
    'CAS_01 speed, max over the assembly window',
  ),
  windowed(
    'cas_vibration_mean',
    casVibration,
    'mean',
    'm/s²',
    [0, 100],
    'CAS_01 vibration, mean over the assembly window',
  ),
  windowed(
    'cas_vibration_max',
    casVibration,
    'max',
    'm/s²',
    [0, 100],
    'CAS_01 vibration, max over the assembly window',
  ),
  windowed(
    'cas_force_mean_n',
    casForce,
    'mean',
    'N',
    [0, 50_000],
    'CAS_01 assembly force, mean over the assembly window',
  ),
  windowed(
    'cas_force_max_n',
    casForce,
    'max',
    'N',
    [0, 50_000],
    'CAS_01 assembly force, max over the assembly window',
  ),
  windowed(
    'form_voltage_mean_v',
    formVoltage,
    'mean',
    'V',
    [0, 10],
    'FORM_01 voltage, mean from assembly to FQC',
  ),
  windowed(
    'form_voltage_max_v',
    formVoltage,
    'max',
    'V',
    [0, 10],
    'FORM_01 voltage, max from assembly to FQC',
  ),
  windowed(
    'form_current_mean_a',
    formCurrent,
    'mean',
    'A',
    [-100, 100],
    'FORM_01 current, mean from assembly to FQC',
  ),
  windowed(
    'form_current_max_a',
    formCurrent,
    'max',
    'A',
    [-100, 100],
    'FORM_01 current, max from assembly to FQC',
  ),
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((feature) => feature.name);

/** Tag path of a machine signal of a line. */
export function machineTag(config: FeatureConfig, line: string, machine: string, signal: string): string {
  return `${config.tagPrefix}/${line}/${machine}/${signal}`;
}

/** Every machine tag the features of `line` read. */
export function featureTags(config: FeatureConfig, line: string): string[] {
  const tags = new Set<string>();
  for (const { source } of FEATURES) {
    if (source.kind === 'window') tags.add(machineTag(config, line, source.of.machine, source.of.signal));
  }
  return [...tags];
}

/** The time span a cell's machine windows cover, and the end each tag must have reached before scoring. */
export function cellWindow(
  config: FeatureConfig,
  cell: CellInspections,
): { fromUs: EpochUs; toUs: EpochUs; needs: { tag: string; untilUs: EpochUs }[] } {
  const assemblyFrom = (cell.ipqc.ts - config.assemblyWindowMs * 1000) as EpochUs;
  const needs = new Map<string, EpochUs>();
  for (const { source } of FEATURES) {
    if (source.kind !== 'window') continue;
    const tag = machineTag(config, cell.line, source.of.machine, source.of.signal);
    needs.set(tag, source.of.window === 'assembly' ? cell.ipqc.ts : cell.fqc.ts);
  }
  return {
    fromUs: assemblyFrom,
    toUs: cell.fqc.ts,
    needs: [...needs].map(([tag, untilUs]) => ({ tag, untilUs })),
  };
}

/** Why a cell could not be scored; `kind` is the first problem's, for counting in /metrics. */
export type UnscorableKind = 'missing_measurement' | 'out_of_range' | 'no_machine_samples';
export type FeatureResult =
  { ok: true; values: Float64Array } | { ok: false; kind: UnscorableKind; reason: string };

// The distinct machine windows the features read, and which one each window feature takes its statistic from.
const SIGNALS: readonly MachineSignal[] = [
  ...new Map(
    FEATURES.flatMap(({ source }) => (source.kind === 'window' ? [source.of] : [])).map((of) => [
      `${of.machine}/${of.signal}/${of.window}`,
      of,
    ]),
  ).values(),
];
const SIGNAL_OF_FEATURE: readonly number[] = FEATURES.map(({ source }) =>
  source.kind === 'window' ? SIGNALS.indexOf(source.of) : -1,
);
// Scratch for the windows' stats: extraction is synchronous, so one buffer serves every call.
const stats = new Float64Array(SIGNALS.length * STATS_WIDTH);
// Tag paths per (prefix, line), built once: string building per cell showed up in the scoring profile.
const tagCache = new Map<string, readonly string[]>();
function signalTags(config: FeatureConfig, line: string): readonly string[] {
  const key = `${config.tagPrefix}\u0000${line}`;
  let tags = tagCache.get(key);
  if (!tags) {
    tags = SIGNALS.map((of) => machineTag(config, line, of.machine, of.signal));
    if (tagCache.size > 10_000) tagCache.clear();
    tagCache.set(key, tags);
  }
  return tags;
}

/**
 * The feature vector of one cell, or why it cannot be scored: a missing measurement, an empty machine
 * window or a value out of its physical range. Nothing is imputed; the caller reports the reason.
 * Each machine window is read once (one binary search per signal), whatever number of features use it.
 */
export function extractFeatures(
  config: FeatureConfig,
  cell: CellInspections,
  series: SeriesReader,
  out: Float64Array = new Float64Array(FEATURES.length),
): FeatureResult {
  let problems: string[] | undefined;
  let kind: UnscorableKind | undefined;
  const tags = signalTags(config, cell.line);
  const assemblyFrom = cell.ipqc.ts - config.assemblyWindowMs * 1000;
  for (let index = 0; index < SIGNALS.length; index += 1) {
    const assembly = SIGNALS[index]!.window === 'assembly';
    const fromUs = assembly ? assemblyFrom : cell.ipqc.ts;
    const toUs = assembly ? cell.ipqc.ts : cell.fqc.ts;
    series.windowInto(tags[index]!, fromUs, toUs, stats, index * STATS_WIDTH);
    if (stats[index * STATS_WIDTH] === 0) {
      kind ??= 'no_machine_samples';
      (problems ??= []).push(
        `no ${tags[index]} samples in the ${SIGNALS[index]!.window} window [${usToIso(fromUs as EpochUs)}, ${usToIso(toUs as EpochUs)}]`,
      );
    }
  }
  for (let index = 0; index < FEATURES.length; index += 1) {
    const feature = FEATURES[index]!;
    const { source } = feature;
    let raw: number | undefined;
    if (source.kind === 'measurement') {
      raw = (source.stage === 'IPQC' ? cell.ipqc : cell.fqc).measurements[source.field];
      if (raw === undefined) {
        kind ??= 'missing_measurement';
        (problems ??= []).push(`missing ${source.stage} ${source.field}`);
        continue;
      }
    } else {
      const at = SIGNAL_OF_FEATURE[index]! * STATS_WIDTH;
      if (stats[at] === 0) continue; // reported once per window above
      raw = stats[at + (source.stat === 'mean' ? 1 : 2)]!;
    }
    const [min, max] = feature.range;
    if (!Number.isFinite(raw) || raw < min || raw > max) {
      kind ??= 'out_of_range';
      (problems ??= []).push(
        `${feature.name} = ${raw} ${feature.unit} outside the physical range [${min}, ${max}]`,
      );
      continue;
    }
    out[index] = source.kind === 'measurement' && source.transform === 'log' ? Math.log(raw) : raw;
  }
  return kind === undefined
    ? { ok: true, values: out }
    : { ok: false, kind, reason: (problems ?? []).join('; ') };
}
