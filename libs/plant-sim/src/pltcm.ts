import { tagPath, type TagPath } from '@millrace/schema';
import { epochMs, type EpochMs } from '@millrace/time';
import { clamp, round } from './numbers.js';
import { hashNormal, hashUniform, pickWeighted, smoothNoise } from './random.js';

/**
 * The steel line: a pickling line coupled to a 5-stand tandem cold mill (PLTCM). The model is a pure
 * function of `(seed, coilSeconds, time)`: coils follow a fixed grid of `coilSeconds` from the epoch,
 * so any instant can be asked for in any order, by the OPC UA server and the file writer alike.
 */
export interface PltcmOptions {
  seed: number;
  /** Length of one coil on the line; coil changes happen on a grid of this many seconds from the epoch. */
  coilSeconds: number;
}

export const PLTCM_PREFIX = 'plant1/coldmill/pltcm';
export const STAND_COUNT = 5;
export const MP_COUNT = 11;
export const CROWN_ZONES = 5;

export type LineStatus = 'running' | 'threading' | 'coil_change' | 'stopped';

/** One coil of the schedule: what the line's level-2 system knows before the coil is rolled. */
export interface Coil {
  /** Position on the coil grid: `floor(startMs / coilMs)`. */
  index: number;
  /** `<epoch seconds of start>B<3-digit sequence>`, e.g. `1736809000B100`, as the line names coils. */
  id: string;
  alloyCode: AlloyCode;
  entryWidthMm: number;
  entryThicknessMm: number;
  exitThicknessMm: number;
  weightKg: number;
  startMs: EpochMs;
  endMs: EpochMs;
}

/** Alloy codes with their share of the line's production (coil counts from the plant's dashboard). */
export const ALLOYS = [
  ['09C', 2875],
  ['DC01', 28],
  ['SPCC', 670],
  ['SPCC-1B', 43],
  ['SPCD', 12],
  ['SPHD', 64],
  ['TS0', 1427],
] as const;
export type AlloyCode = (typeof ALLOYS)[number][0];

/** Entry widths in mm with their coil counts. */
export const ENTRY_WIDTHS_MM = [
  [700, 2],
  [864, 16],
  [1000, 71],
  [1059, 65],
  [1100, 1080],
  [1150, 245],
  [1170, 128],
] as const;

/** Exit gauges in mm with their coil counts (the thin end from the dashboard, the rest filled in). */
const EXIT_THICKNESSES_MM = [
  [0.4, 73],
  [0.46, 43],
  [0.49, 38],
  [0.5, 1561],
  [0.56, 43],
  [0.58, 140],
  [0.6, 74],
  [0.7, 300],
  [0.8, 260],
  [0.9, 220],
  [1.0, 200],
  [1.2, 90],
  [1.4, 40],
] as const;

interface AlloyProperties {
  /** Mean exit gauge of the alloy on this line, mm. */
  typicalExitMm: number;
  /** Mean flow stress at stand 1, MPa; work hardening raises it stand by stand. */
  flowStressMpa: number;
}

const ALLOY_PROPERTIES: Record<AlloyCode, AlloyProperties> = {
  '09C': { typicalExitMm: 0.94, flowStressMpa: 430 },
  DC01: { typicalExitMm: 1.36, flowStressMpa: 320 },
  SPCC: { typicalExitMm: 0.97, flowStressMpa: 350 },
  'SPCC-1B': { typicalExitMm: 0.56, flowStressMpa: 360 },
  SPCD: { typicalExitMm: 1.0, flowStressMpa: 330 },
  SPHD: { typicalExitMm: 0.7, flowStressMpa: 380 },
  TS0: { typicalExitMm: 0.57, flowStressMpa: 520 },
};

// Stream numbers keep the draws of different quantities independent of each other.
const STREAM = { alloy: 1, width: 2, exit: 3, entry: 4, weight: 5, stop: 6, noise: 7, drift: 8 } as const;

const WORK_ROLL_RADIUS_M = 0.275;
const MILL_MODULUS_KN_PER_MM = 6000;
const GAP_ZERO_MM = 3;
const STEEL_DENSITY_KG_M3 = 7850;
const MANDREL_DIAMETER_MM = 508;
const THREADING_SPEED_M_MIN = 60;
const CRAWL_SPEED_M_MIN = 30;

/** The coil on the line at `tMs`. */
export function coilAt(options: PltcmOptions, tMs: number): Coil {
  return coilByIndex(options, Math.floor(tMs / coilMs(options)));
}

/** The coil at position `index` of the grid; the same index always gives the same coil. */
export function coilByIndex(options: PltcmOptions, index: number): Coil {
  const { seed } = options;
  const startMs = index * coilMs(options);
  const alloyCode = pickWeighted(ALLOYS, hashUniform(seed, STREAM.alloy, index));
  const entryWidthMm = pickWeighted(ENTRY_WIDTHS_MM, hashUniform(seed, STREAM.width, index));
  // An alloy is rolled near its usual gauge: weight each gauge by its share and its closeness.
  const typical = ALLOY_PROPERTIES[alloyCode].typicalExitMm;
  const gauges = EXIT_THICKNESSES_MM.map(
    ([gauge, count]) => [gauge, count * Math.exp(-(((gauge - typical) / 0.25) ** 2))] as const,
  );
  const exitThicknessMm = pickWeighted(gauges, hashUniform(seed, STREAM.exit, index));
  // Cold mills take 55-80 % total reduction off a hot band of 1.8-4.5 mm.
  const reduction = 0.55 + 0.25 * hashUniform(seed, STREAM.entry, index);
  const entryThicknessMm = clamp(round(roundTo(exitThicknessMm / (1 - reduction), 0.05), 2), 1.8, 4.5);
  const weightKg = Math.round(clamp(16_000 + 4_000 * hashNormal(seed, STREAM.weight, index), 5_000, 25_000));
  const startS = Math.floor(startMs / 1000);
  const sequence = 100 + (((index % 900) + 900) % 900);
  return {
    index,
    id: `${startS}B${sequence}`,
    alloyCode,
    entryWidthMm,
    entryThicknessMm,
    exitThicknessMm,
    weightKg,
    startMs: epochMs(startMs),
    endMs: epochMs(startMs + coilMs(options)),
  };
}

/** Everything the line measures at one instant, per stand and per measurement point. */
export interface PltcmState {
  tMs: EpochMs;
  coil: Coil;
  status: LineStatus;
  /** Exit (stand 5) strip speed, m/min. */
  exitSpeedMMin: number;
  stands: readonly StandState[];
  /** Thickness at MP00..MP10, mm: MP00-MP02 before the mill, MP03-MP07 after stands 1-5, MP08-MP10 at the exit. */
  thicknessMm: readonly number[];
  /** Thermal crown of the work rolls across the barrel, zones G1..G5, µm. */
  thermalCrownUm: readonly number[];
  coilerTensionKn: number;
  coilerDiameterMm: number;
}

export interface StandState {
  rollForceKn: number;
  stripSpeedMMin: number;
  /** Tension in the strip behind the stand (towards the next stand, or the coiler after stand 5), kN. */
  tensionKn: number;
  rollGapMm: number;
  motorCurrentA: number;
}

/** The line's measured state at `tMs`: correlated physics plus seeded noise. */
export function pltcmStateAt(options: PltcmOptions, tMs: number): PltcmState {
  const { seed } = options;
  const coil = coilAt(options, tMs);
  const sinceStartS = (tMs - coil.startMs) / 1000;
  const profile = speedProfile(options, coil, sinceStartS);
  const noiseIndex = Math.floor(tMs / 100);
  const noise = (channel: number) => hashNormal(seed, STREAM.noise, channel, noiseIndex);
  const drift = (channel: number) => smoothNoise(seed + STREAM.drift, channel, tMs, 20_000);

  const nominal = standThicknesses(coil);
  const rolling = profile.status !== 'stopped' ? 1 : 0.2;
  // Off-gauge at the head end while the automatic gauge control settles.
  const headError = profile.status === 'threading' ? 0.04 * Math.exp(-sinceStartS / 8) : 0;

  const widthM = coil.entryWidthMm / 1000;
  const flowStress = ALLOY_PROPERTIES[coil.alloyCode].flowStressMpa;
  const stands: StandState[] = [];
  for (let stand = 1; stand <= STAND_COUNT; stand += 1) {
    const hIn = nominal[stand - 1] ?? coil.entryThicknessMm;
    const hOut = nominal[stand] ?? coil.exitThicknessMm;
    const forceVariation = 1 + 0.015 * drift(100 + stand) + 0.006 * noise(100 + stand);
    const kf = flowStress * (1 + 0.12 * (stand - 1)) * 1e6;
    // Roll force ~ width x contact length x flow stress (Orowan's simplification, Q ~ 1.1).
    const contactM = Math.sqrt(WORK_ROLL_RADIUS_M * ((hIn - hOut) / 1000));
    const rollForceKn = ((1.1 * widthM * contactM * kf) / 1000) * forceVariation * rolling;
    const stripSpeedMMin = (profile.exitSpeedMMin * coil.exitThicknessMm) / hOut;
    const tensionKn =
      ((0.28 * kf * widthM * hOut) / 1000 / 1000) *
      (1 + 0.02 * drift(200 + stand) + 0.008 * noise(200 + stand));
    // Gauge-meter equation: the gap opens by the mill's stretch under load.
    const rollGapMm = hOut - rollForceKn / MILL_MODULUS_KN_PER_MM + GAP_ZERO_MM + 0.002 * noise(300 + stand);
    const motorCurrentA =
      120 + 0.00035 * rollForceKn * stripSpeedMMin * (1 + 0.01 * noise(400 + stand)) + 5 * noise(450 + stand);
    stands.push({
      rollForceKn,
      stripSpeedMMin: stripSpeedMMin * (1 + 0.002 * noise(500 + stand)),
      tensionKn: tensionKn * rolling,
      rollGapMm,
      motorCurrentA: Math.max(0, motorCurrentA),
    });
  }

  const thicknessMm: number[] = [];
  for (let mp = 0; mp < MP_COUNT; mp += 1) {
    const h = mpThickness(coil, nominal, mp);
    // The gauge gets tighter towards the exit, where the AGC acts.
    const spread = mp < 3 ? 0.006 : mp < 8 ? 0.004 : 0.002;
    const headFactor = mp >= 3 ? 1 + headError : 1;
    thicknessMm.push(h * headFactor * (1 + spread * noise(600 + mp) + 0.5 * spread * drift(650 + mp)));
  }

  const meanForce = stands.reduce((sum, stand) => sum + stand.rollForceKn, 0) / STAND_COUNT;
  // Rolls heat up over a coil, and cool in the pause of a coil change.
  const heat = 0.6 + 0.4 * (1 - Math.exp(-sinceStartS / 60));
  const barrelProfile = [0.55, 0.85, 1, 0.85, 0.55];
  const thermalCrownUm = barrelProfile.map(
    (share, zone) =>
      share * (35 + 0.004 * meanForce) * heat * (1 + 0.03 * drift(700 + zone)) + 0.3 * noise(750 + zone),
  );

  const lastStand = stands[STAND_COUNT - 1];
  const fill = clamp(sinceStartS / (options.coilSeconds || 1), 0, 1);
  return {
    tMs: epochMs(tMs),
    coil,
    status: profile.status,
    exitSpeedMMin: profile.exitSpeedMMin,
    stands,
    thicknessMm,
    thermalCrownUm,
    coilerTensionKn: (lastStand?.tensionKn ?? 0) * 0.6,
    coilerDiameterMm:
      Math.sqrt(MANDREL_DIAMETER_MM ** 2 + fill * outerDiameterGrowthMm2(coil)) + 0.5 * noise(800),
  };
}

/** One OPC UA variable of the line: its tag path, unit and type. */
export interface PltcmTag {
  path: TagPath;
  unit: string | undefined;
  dataType: 'Double' | 'String';
}

/** Every tag the line publishes, in a stable order (stands, MPs, crown, line). */
export const PLTCM_TAGS: readonly PltcmTag[] = buildTags();

/** The line's value of every tag in {@link PLTCM_TAGS} at `tMs`, in the same order. */
export function pltcmValues(state: PltcmState): (number | string)[] {
  const values: (number | string)[] = [];
  for (const stand of state.stands) {
    values.push(
      round(stand.rollForceKn, 1),
      round(stand.stripSpeedMMin, 2),
      round(stand.tensionKn, 2),
      round(stand.rollGapMm, 4),
      round(stand.motorCurrentA, 1),
    );
  }
  for (const thickness of state.thicknessMm) values.push(round(thickness, 4));
  for (const crown of state.thermalCrownUm) values.push(round(crown, 2));
  values.push(
    state.coil.id,
    state.coil.alloyCode,
    state.coil.entryWidthMm,
    state.coil.exitThicknessMm,
    state.coil.weightKg,
    state.status,
  );
  return values;
}

function buildTags(): PltcmTag[] {
  const tags: PltcmTag[] = [];
  const add = (suffix: string, unit: string | undefined, dataType: PltcmTag['dataType'] = 'Double') =>
    tags.push({ path: tagPath(`${PLTCM_PREFIX}/${suffix}`), unit, dataType });
  for (let stand = 1; stand <= STAND_COUNT; stand += 1) {
    add(`stand${stand}/roll_force`, 'kN');
    add(`stand${stand}/strip_speed`, 'm/min');
    add(`stand${stand}/tension`, 'kN');
    add(`stand${stand}/roll_gap`, 'mm');
    add(`stand${stand}/motor_current`, 'A');
  }
  for (let mp = 0; mp < MP_COUNT; mp += 1) add(`${mpName(mp).toLowerCase()}/thickness`, 'mm');
  for (let zone = 1; zone <= CROWN_ZONES; zone += 1) add(`thermal_crown/g${zone}`, 'µm');
  add('line/coil_id', undefined, 'String');
  add('line/alloy_code', undefined, 'String');
  add('line/entry_width', 'mm');
  add('line/exit_thickness_target', 'mm');
  add('line/coil_weight', 'kg');
  add('line/status', undefined, 'String');
  return tags;
}

/** `MP00`..`MP10`. */
export function mpName(mp: number): string {
  return `MP${String(mp).padStart(2, '0')}`;
}

/** Nominal thickness after each stand (index 0 = entry), with the larger reductions in the first stands. */
function standThicknesses(coil: Coil): number[] {
  const shares = [0.3, 0.25, 0.2, 0.15, 0.1];
  const logTotal = Math.log(coil.exitThicknessMm / coil.entryThicknessMm);
  const thicknesses = [coil.entryThicknessMm];
  let cumulative = 0;
  for (const share of shares) {
    cumulative += share;
    thicknesses.push(coil.entryThicknessMm * Math.exp(logTotal * cumulative));
  }
  return thicknesses;
}

function mpThickness(coil: Coil, nominal: readonly number[], mp: number): number {
  if (mp < 3) return coil.entryThicknessMm;
  if (mp < 8) return nominal[mp - 2] ?? coil.exitThicknessMm;
  return coil.exitThicknessMm;
}

interface SpeedProfile {
  status: LineStatus;
  exitSpeedMMin: number;
}

/** Threading at crawl speed, ramp to top speed, an occasional stop, ramp down into the coil change. */
function speedProfile(options: PltcmOptions, coil: Coil, sinceStartS: number): SpeedProfile {
  const total = options.coilSeconds;
  const threadingS = Math.min(15, total * 0.1);
  const changeS = Math.min(15, total * 0.08);
  const rampS = Math.min(20, total * 0.1);
  const topSpeed = clamp(1350 - 500 * coil.exitThicknessMm, 500, 1200);
  if (sinceStartS < threadingS) return { status: 'threading', exitSpeedMMin: THREADING_SPEED_M_MIN };
  if (sinceStartS >= total - changeS) return { status: 'coil_change', exitSpeedMMin: CRAWL_SPEED_M_MIN };
  // One coil in twenty has a short stop in its middle (a pickling tank alarm, a weld check).
  const hasStop = hashUniform(options.seed, STREAM.stop, coil.index) < 0.05;
  const stopStart = total * 0.45;
  const stopEnd = stopStart + Math.min(20, total * 0.1);
  if (hasStop && sinceStartS >= stopStart && sinceStartS < stopEnd)
    return { status: 'stopped', exitSpeedMMin: 0 };
  const running = sinceStartS - threadingS;
  const untilChange = total - changeS - sinceStartS;
  const ramp = Math.min(1, running / rampS, untilChange / rampS);
  return {
    status: 'running',
    exitSpeedMMin: THREADING_SPEED_M_MIN + (topSpeed - THREADING_SPEED_M_MIN) * ramp,
  };
}

/** D² - d² of the finished coil, from its weight: the coiler's diameter grows towards it. */
function outerDiameterGrowthMm2(coil: Coil): number {
  const widthM = coil.entryWidthMm / 1000;
  const areaM2 = coil.weightKg / (STEEL_DENSITY_KG_M3 * widthM);
  return ((4 * areaM2) / Math.PI) * 1e6;
}

function coilMs(options: PltcmOptions): number {
  return options.coilSeconds * 1000;
}

function roundTo(value: number, step: number): number {
  return Math.round(value / step) * step;
}
