import { tagPath, type Inspection, type InspectionStage, type TagPath } from '@millrace/schema';
import { epochMs, msToUs, type EpochMs } from '@millrace/time';
import { round } from './numbers.js';
import { Prng } from './random.js';

/**
 * The battery-cell line: CAS_01 assembles cells, FORM_01 forms them, EOL_01 tests them. Each cell is
 * inspected three times (IPQC at assembly, FQC after formation, OQC after ageing) and belongs to a
 * production order. The model steps through time with state (machine states, drives, pending
 * inspections), so it is deterministic for a given seed and sequence of calls.
 */
export interface CellLineOptions {
  seed: number;
  /** Line level of the tag paths and the inspections' `line`: `plant1/cells/<line>/...`. */
  line?: string;
  /** One step of the machines' signals. */
  signalPeriodMs?: number;
  /** One cell leaves CAS_01 every this many milliseconds while it operates. */
  cellPeriodMs?: number;
  speedSetpointRpm?: number;
  /** How fast CAS_01's drive creeps above its setpoint; the creep is capped. */
  speedDriftRpmPerHour?: number;
  /** Delay from assembly to the FQC record (formation) and to the OQC record (ageing, end-of-line test). */
  fqcDelayMs?: number;
  oqcDelayMs?: number;
  firstOrderId?: number;
}

export const CELL_MACHINES = ['CAS_01', 'FORM_01', 'EOL_01'] as const;
export type CellMachine = (typeof CELL_MACHINES)[number];

export const CELL_PRODUCTS = {
  'High Capacity Cell': { capacityAh: 5, weightG: 70, thicknessMm: 5.6, acirMOhm: 18 },
  'Standard Capacity Cell': { capacityAh: 3, weightG: 48, thicknessMm: 4.2, acirMOhm: 25 },
} as const;
export type CellProduct = keyof typeof CELL_PRODUCTS;

export interface CellOrder {
  orderId: string;
  product: CellProduct;
  quantity: number;
  /** Cells assembled so far for this order. */
  produced: number;
  startedMs: EpochMs;
}

/** One machine signal: the tag path is also its MQTT topic. */
export interface CellSignal {
  tag: TagPath;
  value: number | string;
  tsMs: EpochMs;
}

export interface CellLineOutput {
  signals: CellSignal[];
  /** Inspection records that became due, in time order. */
  inspections: Inspection[];
  /** Orders that were completed in this interval. */
  completedOrders: CellOrder[];
}

const DEFAULTS = {
  line: 'line1',
  signalPeriodMs: 1000,
  cellPeriodMs: 3000,
  speedSetpointRpm: 1000,
  speedDriftRpmPerHour: 120,
  fqcDelayMs: 20_000,
  oqcDelayMs: 45_000,
  firstOrderId: 98_765,
} as const;

const MAX_DRIFT_RPM = 400;
const CHANGEOVER_MS = 15_000;
const FORMATION_CHARGE_MS = 60_000;
const FORMATION_REST_MS = 20_000;

/** The writable setpoint of CAS_01's speed, rpm. */
export function speedSetpointTag(line: string = DEFAULTS.line): TagPath {
  return tagPath(`plant1/cells/${line}/CAS_01/speed_setpoint`);
}

/** MQTT topic of inspection records of one stage. */
export function inspectionTopic(line: string, stage: InspectionStage): string {
  return `plant1/cells/${line}/inspections/${stage}`;
}

export class CellLine {
  private readonly options: Required<CellLineOptions>;
  private readonly random: Prng;
  private nextStepMs: number;
  private nextCellMs: number;
  private setpointRpm: number;
  private driftRpm = 0;
  private speedRpm: number;
  private vibrationEpisode = false;
  private faultUntilMs = 0;
  private idleUntilMs = 0;
  private order: CellOrder;
  private orderCount = 0;
  private readonly pending: Inspection[] = [];
  private readonly tags: Record<string, TagPath>;

  constructor(options: CellLineOptions, startMs: number) {
    this.options = { ...DEFAULTS, ...options };
    this.random = new Prng(this.options.seed);
    this.nextStepMs = startMs;
    this.nextCellMs = startMs + this.options.cellPeriodMs;
    this.setpointRpm = this.options.speedSetpointRpm;
    this.speedRpm = this.setpointRpm;
    this.order = this.newOrder(startMs);
    const prefix = `plant1/cells/${this.options.line}`;
    const names = [
      'CAS_01/temperature',
      'CAS_01/vibration',
      'CAS_01/speed',
      'CAS_01/speed_setpoint',
      'CAS_01/assembly_force',
      'CAS_01/pressure',
      'CAS_01/status',
      'FORM_01/temperature',
      'FORM_01/current',
      'FORM_01/voltage',
      'FORM_01/status',
      'EOL_01/temperature',
      'EOL_01/voltage',
      'EOL_01/soc',
      'EOL_01/status',
    ];
    this.tags = Object.fromEntries(names.map((name) => [name, tagPath(`${prefix}/${name}`)]));
  }

  get line(): string {
    return this.options.line;
  }

  get speedSetpointRpm(): number {
    return this.setpointRpm;
  }

  get currentOrder(): Readonly<CellOrder> {
    return this.order;
  }

  /** Every signal tag of the line, in publishing order. */
  signalTags(): TagPath[] {
    return Object.values(this.tags);
  }

  /**
   * Takes a new CAS_01 speed setpoint at `tMs`: the line first runs up to `tMs` on the old one, so a
   * change acts from the instant it was made. Returns what became due meanwhile.
   */
  setSpeedSetpoint(rpm: number, tMs: number): CellLineOutput {
    if (!Number.isFinite(rpm) || rpm < 0 || rpm > 3000) {
      throw new RangeError(`CAS_01 speed setpoint must be 0-3000 rpm, got ${rpm}`);
    }
    const output = this.advanceTo(tMs);
    this.setpointRpm = rpm;
    return output;
  }

  /** Runs the line's steps up to and including `tMs` and returns their signals and due inspections. */
  advanceTo(tMs: number): CellLineOutput {
    const output: CellLineOutput = { signals: [], inspections: [], completedOrders: [] };
    while (this.nextStepMs <= tMs) {
      this.step(this.nextStepMs, output);
      this.nextStepMs += this.options.signalPeriodMs;
    }
    return output;
  }

  private step(tMs: number, output: CellLineOutput): void {
    const { signalPeriodMs, speedDriftRpmPerHour } = this.options;
    const r = this.random;
    const dtS = signalPeriodMs / 1000;

    if (tMs >= this.faultUntilMs && r.chance(dtS / 3600)) this.faultUntilMs = tMs + r.int(30, 90) * 1000;
    const faulted = tMs < this.faultUntilMs;
    const idle = !faulted && tMs < this.idleUntilMs;
    const operating = !faulted && !idle;

    this.driftRpm = Math.min(MAX_DRIFT_RPM, this.driftRpm + (speedDriftRpmPerHour * dtS) / 3600);
    const target = operating ? this.setpointRpm + this.driftRpm : 0;
    this.speedRpm += (target - this.speedRpm) * (1 - Math.exp(-dtS / 5));
    const speed = Math.max(0, this.speedRpm + r.normal(0, 2));

    this.vibrationEpisode = this.vibrationEpisode ? !r.chance(dtS / 150) : r.chance(dtS / 400);
    const vibration = Math.max(
      0.01,
      (0.1 + 0.0004 * Math.max(0, speed - 1000) + (this.vibrationEpisode ? 0.12 : 0)) *
        (speed > 50 ? 1 : 0.1) +
        r.normal(0, 0.01),
    );

    if (operating) {
      while (this.nextCellMs <= tMs) {
        this.assemble(this.nextCellMs, speed, vibration, output);
        this.nextCellMs += this.options.cellPeriodMs;
      }
    } else {
      this.nextCellMs = Math.max(this.nextCellMs, tMs + this.options.cellPeriodMs);
    }

    const formationPhase = (tMs - this.order.startedMs) % (FORMATION_CHARGE_MS + FORMATION_REST_MS);
    const charging = formationPhase < FORMATION_CHARGE_MS;
    const chargeFraction = charging ? formationPhase / FORMATION_CHARGE_MS : 1;
    const testing = operating && Math.floor(tMs / 1000) % 10 < 8;

    const ts = epochMs(tMs);
    const emit = (name: string, value: number | string) => {
      const tag = this.tags[name];
      if (tag !== undefined) output.signals.push({ tag, value, tsMs: ts });
    };
    emit('CAS_01/temperature', round(45 + 0.012 * (speed - 1000) + r.normal(0, 0.15), 2));
    emit('CAS_01/vibration', round(vibration, 4));
    emit('CAS_01/speed', round(speed, 1));
    emit('CAS_01/speed_setpoint', this.setpointRpm);
    emit('CAS_01/assembly_force', operating ? round(1200 + 0.2 * (speed - 1000) + r.normal(0, 15), 1) : 0);
    emit('CAS_01/pressure', round(6 + r.normal(0, 0.05), 3));
    emit('CAS_01/status', faulted ? 'fault' : idle ? 'idle' : 'operating');
    emit('FORM_01/temperature', round(38 + (charging ? 1.5 * chargeFraction : 0.5) + r.normal(0, 0.1), 2));
    emit('FORM_01/current', charging ? round(3.5 + r.normal(0, 0.03), 3) : 0);
    emit('FORM_01/voltage', round((charging ? 3 + 1.2 * chargeFraction : 4.15) + r.normal(0, 0.002), 4));
    emit('FORM_01/status', idle ? 'idle' : charging ? 'charging' : 'resting');
    emit('EOL_01/temperature', round(40 + r.normal(0, 0.2), 2));
    emit('EOL_01/voltage', testing ? round(3.9 + r.normal(0, 0.01), 4) : 0);
    emit('EOL_01/soc', testing ? round(Math.min(100, 98 + r.normal(0, 0.5)), 2) : 0);
    emit('EOL_01/status', testing ? 'testing' : 'idle');

    this.pending.sort((a, b) => a.ts - b.ts);
    const due = this.pending.findIndex((record) => record.ts > msToUs(ts));
    output.inspections.push(...this.pending.splice(0, due === -1 ? this.pending.length : due));
  }

  private assemble(tMs: number, speed: number, vibration: number, output: CellLineOutput): void {
    const r = this.random;
    const order = this.order;
    order.produced += 1;
    const spec = CELL_PRODUCTS[order.product];
    const cellId = `${order.orderId}-${String(order.produced).padStart(5, '0')}`;
    const base = { cellId, orderId: order.orderId, line: this.options.line };
    const load = logistic((speed - 1100) / 15) * logistic((vibration - 0.2) / 0.015);
    const latent = r.chance(0.015) ? 1 : 0;

    const weightG = r.normal(spec.weightG, 0.35);
    const weldStrengthN = r.normal(42, 3) - 25 * Math.max(0, vibration - 0.12);
    const insulationResistanceMOhm = Math.exp(r.normal(Math.log(800), 0.6));
    const ipqcPass =
      weldStrengthN >= 32 && insulationResistanceMOhm >= 150 && Math.abs(weightG - spec.weightG) <= 1.2;
    this.pending.push({
      ...base,
      stage: 'IPQC',
      station: 'CAS_01',
      ts: msToUs(epochMs(tMs)),
      measurements: {
        weightG: round(weightG, 2),
        thicknessMm: round(r.normal(spec.thicknessMm, 0.04), 3),
        weldStrengthN: round(weldStrengthN, 1),
        insulationResistanceMOhm: round(insulationResistanceMOhm, 1),
      },
      verdict: ipqcPass ? 'pass' : 'fail',
    });

    if (ipqcPass) {
      const capacityAh =
        r.normal(spec.capacityAh * 1.01, spec.capacityAh * 0.008) - load * spec.capacityAh * 0.015;
      const acirMOhm = r.normal(spec.acirMOhm, spec.acirMOhm * 0.05) + load * spec.acirMOhm * 0.22;
      const ocvV = r.normal(3.62, 0.008);
      const fqcPass = capacityAh >= spec.capacityAh * 0.985 && acirMOhm <= spec.acirMOhm * 1.3;
      this.pending.push({
        ...base,
        stage: 'FQC',
        station: 'FORM_01',
        ts: msToUs(epochMs(tMs + this.options.fqcDelayMs)),
        measurements: {
          ocvV: round(ocvV, 4),
          acirMOhm: round(acirMOhm, 3),
          capacityAh: round(capacityAh, 4),
        },
        verdict: fqcPass ? 'pass' : 'fail',
      });

      if (fqcPass) {
        const selfDischarge =
          Math.exp(r.normal(Math.log(0.8), 0.35)) +
          load * Math.exp(r.normal(Math.log(1.5), 0.5)) +
          latent * r.normal(2, 0.3);
        const oqcAcir = acirMOhm * r.normal(1.01, 0.01);
        const oqcCapacity = capacityAh * r.normal(0.998, 0.002);
        const oqcPass =
          selfDischarge <= 2 && oqcAcir <= spec.acirMOhm * 1.25 && oqcCapacity >= spec.capacityAh * 0.985;
        this.pending.push({
          ...base,
          stage: 'OQC',
          station: 'EOL_01',
          ts: msToUs(epochMs(tMs + this.options.oqcDelayMs)),
          measurements: {
            ocvV: round(ocvV - 0.002 * selfDischarge, 4),
            acirMOhm: round(oqcAcir, 3),
            capacityAh: round(oqcCapacity, 4),
            selfDischargeMvPerDay: round(selfDischarge, 3),
          },
          verdict: oqcPass ? 'pass' : 'fail',
        });
      }
    }

    if (order.produced >= order.quantity) {
      output.completedOrders.push({ ...order });
      this.order = this.newOrder(tMs + CHANGEOVER_MS);
      this.idleUntilMs = tMs + CHANGEOVER_MS;
    }
  }

  /** The order sequence of the seed's MES: 98765 High Capacity x 2000, 98766 Standard x 1500, then alternating. */
  private newOrder(startedMs: number): CellOrder {
    const index = this.orderCount;
    this.orderCount += 1;
    const products = Object.keys(CELL_PRODUCTS) as CellProduct[];
    const quantity = index === 0 ? 2000 : index === 1 ? 1500 : this.random.int(5, 25) * 100;
    return {
      orderId: String(this.options.firstOrderId + index),
      product: products[index % products.length] ?? 'High Capacity Cell',
      quantity,
      produced: 0,
      startedMs: epochMs(startedMs),
    };
  }
}

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
