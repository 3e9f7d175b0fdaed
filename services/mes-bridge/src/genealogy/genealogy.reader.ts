import type { QueryClient } from '@millrace/questdb';
import { TABLES } from '@millrace/schema';
import { usToIso, type EpochUs } from '@millrace/time';

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;

export interface CellAt {
  cellId: string;
  orderId: string;
  assembledAt: string;
}
export interface CoilAt {
  coilId: string;
  start: string;
  end: string;
}

/**
 * Cell and coil in production at T, from QuestDB: the last cell assembled (its IPQC record) on the
 * line at or before T, within the hour before; the coil whose [start, end] holds T (coils last minutes,
 * so a day's look-back bounds the scan).
 */
export class GenealogyReader {
  constructor(private readonly client: QueryClient) {}

  async cellAt(line: string, at: EpochUs): Promise<CellAt | undefined> {
    const rows = await this.client.query<{ cell_id: string; order_id: string; ts: EpochUs }>(
      `SELECT cell_id, order_id, ts FROM ${TABLES.inspections.name} ` +
        `WHERE ts > $1 AND ts <= $2 AND line = $3 AND stage = 'IPQC' ORDER BY ts DESC LIMIT 1`,
      [usToIso((at - HOUR_US) as EpochUs), usToIso(at), line],
    );
    const row = rows[0];
    return row ? { cellId: row.cell_id, orderId: row.order_id, assembledAt: usToIso(row.ts) } : undefined;
  }

  async coilAt(line: string, at: EpochUs): Promise<CoilAt | undefined> {
    const rows = await this.client.query<{ coil_id: string; ts: EpochUs; end_ts: EpochUs }>(
      `SELECT coil_id, ts, end_ts FROM ${TABLES.coils.name} ` +
        `WHERE ts > $1 AND ts <= $2 AND line = $3 AND end_ts >= $2 ORDER BY ts DESC LIMIT 1`,
      [usToIso((at - DAY_US) as EpochUs), usToIso(at), line],
    );
    const row = rows[0];
    return row ? { coilId: row.coil_id, start: usToIso(row.ts), end: usToIso(row.end_ts) } : undefined;
  }

  /** Mean, min, max, last and count of each numeric tag under `prefix` over [from, to): a machine-data summary. */
  async summary(prefix: string, from: EpochUs, to: EpochUs): Promise<MachineSummaryRow[]> {
    const rows = await this.client.query<{
      tag: string;
      min: number;
      max: number;
      avg: number;
      last: number;
      count: string | number;
    }>(
      `SELECT tag, min(value) AS min, max(value) AS max, avg(value) AS avg, last(value) AS last, count(value) AS count ` +
        `FROM ${TABLES.samples.name} WHERE ts >= $1 AND ts < $2 AND tag LIKE $3 GROUP BY tag ORDER BY tag`,
      [usToIso(from), usToIso(to), `${prefix}%`],
    );
    return rows.map((row) => ({ ...row, count: Number(row.count) })).filter((row) => row.count > 0);
  }
}

export interface MachineSummaryRow {
  tag: string;
  min: number;
  max: number;
  avg: number;
  last: number;
  count: number;
}
