import { inspectionSchema, TABLES, type Inspection } from '@millrace/schema';
import { usToIso, type EpochUs } from '@millrace/time';
import { SeriesStore } from './series.js';

/** The `inspections` columns `inspectionFromRow` reads, for a SELECT list. */
export const INSPECTION_COLUMNS =
  'ts, cell_id, order_id, line, stage, station, weight_g, thickness_mm, ocv_v, acir_mohm, capacity_ah, ' +
  'self_discharge_mv_per_day, weld_strength_n, insulation_resistance_mohm, verdict';

const MEASUREMENT_COLUMNS = [
  ['weightG', 'weight_g'],
  ['thicknessMm', 'thickness_mm'],
  ['ocvV', 'ocv_v'],
  ['acirMOhm', 'acir_mohm'],
  ['capacityAh', 'capacity_ah'],
  ['selfDischargeMvPerDay', 'self_discharge_mv_per_day'],
  ['weldStrengthN', 'weld_strength_n'],
  ['insulationResistanceMOhm', 'insulation_resistance_mohm'],
] as const;

/**
 * An `inspections` row (as libs/rows wrote it) back to the message, parsed like any other edge: a NULL
 * column is an unmeasured field, and a row the schema refuses gives undefined.
 */
export function inspectionFromRow(row: Record<string, unknown>): Inspection | undefined {
  const measurements: Record<string, unknown> = {};
  for (const [field, column] of MEASUREMENT_COLUMNS) {
    if (row[column] !== null && row[column] !== undefined) measurements[field] = row[column];
  }
  const parsed = inspectionSchema.safeParse({
    cellId: row.cell_id,
    orderId: row.order_id,
    line: row.line,
    stage: row.stage,
    ...(row.station ? { station: row.station } : {}),
    ts: row.ts,
    measurements,
    ...(row.verdict ? { verdict: row.verdict } : {}),
  });
  return parsed.success ? parsed.data : undefined;
}

const placeholders = (count: number, first: number) =>
  Array.from({ length: count }, (_, index) => `$${first + index}`).join(', ');

/** SQL and parameters reading `tags` from `samples` over `[fromUs, toUs]`; rows go to `seriesFromRows`. */
export function samplesQuery(
  tags: readonly string[],
  fromUs: EpochUs,
  toUs: EpochUs,
): { text: string; params: unknown[] } {
  return {
    text:
      `SELECT ts, tag, value FROM ${TABLES.samples.name} WHERE tag IN (${placeholders(tags.length, 1)}) ` +
      `AND ts >= $${tags.length + 1} AND ts <= $${tags.length + 2}`,
    params: [...tags, usToIso(fromUs), usToIso(toUs)],
  };
}

/** SQL and parameters reading the IPQC records of `cellIds` from `sinceUs`; rows go to `inspectionFromRow`. */
export function ipqcQuery(cellIds: readonly string[], sinceUs: EpochUs): { text: string; params: unknown[] } {
  return {
    text:
      `SELECT ${INSPECTION_COLUMNS} FROM ${TABLES.inspections.name} ` +
      `WHERE stage = 'IPQC' AND cell_id IN (${placeholders(cellIds.length, 1)}) AND ts >= $${cellIds.length + 1}`,
    params: [...cellIds, usToIso(sinceUs)],
  };
}

/** Sample rows (`ts` µs, `tag`, numeric `value` or NULL for text samples) into series; adds to `into`. */
export function seriesFromRows(
  rows: readonly { ts: number; tag: string; value: number | null }[],
  into: SeriesStore = new SeriesStore(),
): SeriesStore {
  const columns = new Map<string, { ts: number[]; values: number[] }>();
  for (const row of rows) {
    if (row.value === null) continue;
    let column = columns.get(row.tag);
    if (!column) {
      column = { ts: [], values: [] };
      columns.set(row.tag, column);
    }
    column.ts.push(row.ts);
    column.values.push(row.value);
  }
  for (const [tag, column] of columns) into.add(tag, column.ts, column.values);
  return into;
}
