import {
  TABLES,
  type CommandResult,
  type Inspection,
  type MachineCommand,
  type PlantRecord,
  type ProductionOrder,
  type RiskEvent,
  type TableSpec,
} from '@millrace/schema';
import type { Row } from '@millrace/questdb';

export interface TableRows {
  table: TableSpec;
  rows: Row[];
}

const KIND_TABLE = {
  coiler: TABLES.coilerData,
  strip: TABLES.stripData,
  setup: TABLES.setupData,
  segment: TABLES.segmentData,
} as const;

/** The rows one plant record becomes: a coil is one row; other kinds one row per named value (long format). */
export function recordRows(record: PlantRecord): TableRows {
  if (record.kind === 'coil') {
    return {
      table: TABLES.coils,
      rows: [
        {
          ts: record.ts,
          coil_id: record.coilId,
          line: record.line,
          alloy_code: record.alloyCode,
          entry_width_mm: record.entryWidthMm,
          entry_thickness_mm: record.entryThicknessMm ?? null,
          exit_thickness_mm: record.exitThicknessMm,
          weight_kg: record.weightKg,
          end_ts: record.endTs,
        },
      ],
    };
  }
  const base: Row = { ts: record.ts, coil_id: record.coilId, line: record.line };
  if (record.kind === 'setup') base.stand = record.stand ?? null;
  if (record.kind === 'segment') {
    base.mp = record.mp;
    base.segment = record.segment;
  }
  return {
    table: KIND_TABLE[record.kind],
    rows: Object.entries(record.values).map(([variable, value]) => ({ ...base, variable, value })),
  };
}

export function inspectionRow(inspection: Inspection): Row {
  const m = inspection.measurements;
  return {
    ts: inspection.ts,
    cell_id: inspection.cellId,
    order_id: inspection.orderId,
    line: inspection.line,
    stage: inspection.stage,
    station: inspection.station ?? null,
    weight_g: m.weightG,
    thickness_mm: m.thicknessMm,
    ocv_v: m.ocvV,
    acir_mohm: m.acirMOhm,
    capacity_ah: m.capacityAh,
    self_discharge_mv_per_day: m.selfDischargeMvPerDay,
    weld_strength_n: m.weldStrengthN,
    insulation_resistance_mohm: m.insulationResistanceMOhm,
    verdict: inspection.verdict ?? null,
  };
}

export function riskEventRow(event: RiskEvent): Row {
  return {
    ts: event.ts,
    cell_id: event.cellId,
    order_id: event.orderId,
    model_version: event.modelVersion,
    risk_class: event.riskClass,
    probability: event.probability,
    recommendation: event.recommendation,
    reasons: JSON.stringify(event.reasons),
    unknown_reason: event.unknownReason ?? null,
  };
}

export function orderRow(order: ProductionOrder): Row {
  return {
    ts: order.ts,
    order_id: order.orderId,
    line: order.line,
    product: order.product,
    quantity: order.quantity,
    state: order.state,
  };
}

export function commandRow(command: MachineCommand): Row {
  return {
    ts: command.ts,
    command_id: command.commandId,
    machine: command.machine,
    setpoint: command.setpoint,
    value: command.value,
    reason: command.reason,
    issued_by: `${command.issuedBy.kind}:${command.issuedBy.id}`,
    model_version: command.modelVersion ?? null,
    result: command.dryRun ? 'dry-run' : 'requested',
    detail: null,
  };
}

export function commandResultRow(result: CommandResult): Row {
  return {
    ts: result.ts,
    command_id: result.commandId,
    machine: result.machine,
    setpoint: result.setpoint,
    value: result.appliedValue ?? null,
    result: result.result,
    detail: result.detail,
  };
}
