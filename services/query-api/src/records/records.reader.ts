import type { QueryApiConfig } from '@millrace/config';
import type { QueryClient } from '@millrace/questdb';
import { TABLES, type TableSpec } from '@millrace/schema';
import { msToUs, usToIso, type EpochMs, type EpochUs } from '@millrace/time';
import { resolveTimeRange } from '@millrace/timerange';
import type { z } from 'zod';
import { resolving } from '../http/validation.js';
import {
  COIL_DATA_TABLES,
  SUMMARY_GROUPS,
  type coilDataQuerySchema,
  type coilsQuerySchema,
  type inspectionsQuerySchema,
  type ordersQuerySchema,
  type productionSummaryQuerySchema,
  type RowsResponse,
  type SummaryResponse,
} from './records.api.js';

type Filters = Record<string, string | number | undefined>;

/** Records by time range with optional equality filters; every value is a bind parameter. */
export class RecordsReader {
  constructor(
    private readonly client: QueryClient,
    private readonly config: QueryApiConfig,
  ) {}

  coils(query: z.infer<typeof coilsQuerySchema>, now: EpochMs): Promise<RowsResponse> {
    return this.rows(TABLES.coils, query, { alloy_code: query.alloy, coil_id: query.coil }, now);
  }

  inspections(query: z.infer<typeof inspectionsQuerySchema>, now: EpochMs): Promise<RowsResponse> {
    const filters = { cell_id: query.cell, order_id: query.order, stage: query.stage };
    return this.rows(TABLES.inspections, query, filters, now);
  }

  coilData(query: z.infer<typeof coilDataQuerySchema>, now: EpochMs): Promise<RowsResponse> {
    const table = COIL_DATA_TABLES[query.kind];
    const filters = {
      coil_id: query.coil,
      variable: query.variable,
      ...(query.kind === 'segment' ? { mp: query.mp } : {}),
      ...(query.kind === 'setup' ? { stand: query.stand } : {}),
    };
    return this.rows(table, query, filters, now);
  }

  orders(query: z.infer<typeof ordersQuerySchema>, now: EpochMs): Promise<RowsResponse> {
    return this.rows(TABLES.orders, query, { order_id: query.order, state: query.state }, now);
  }

  async productionSummary(
    query: z.infer<typeof productionSummaryQuerySchema>,
    now: EpochMs,
  ): Promise<SummaryResponse> {
    const { fromIso, toIso } = this.range(query, now);
    const key = SUMMARY_GROUPS[query.by];
    const rows = await this.client.query<Record<string, unknown>>(
      `SELECT ${key} AS key, count() AS coils, avg(exit_thickness_mm) AS avg_thickness_mm, ` +
        'min(exit_thickness_mm) AS min_thickness_mm, avg(weight_kg) AS avg_weight_kg, min(weight_kg) AS min_weight_kg ' +
        `FROM ${TABLES.coils.name} WHERE ts >= $1 AND ts < $2 ` +
        `ORDER BY ${query.sort} ${query.dir === 'asc' ? 'ASC' : 'DESC'}`,
      [fromIso, toIso],
    );
    return {
      from: fromIso,
      to: toIso,
      by: query.by,
      groups: rows.map((row) => ({
        key: row.key as string | number | null,
        coils: Number(row.coils),
        avg_thickness_mm: row.avg_thickness_mm as number | null,
        min_thickness_mm: row.min_thickness_mm as number | null,
        avg_weight_kg: row.avg_weight_kg as number | null,
        min_weight_kg: row.min_weight_kg as number | null,
      })),
    };
  }

  private range(query: { from: string; to: string }, now: EpochMs) {
    const range = resolving(() =>
      resolveTimeRange({ from: query.from, to: query.to }, { now, zone: this.config.MILLRACE_PLANT_TZ }),
    );
    return { fromIso: usToIso(msToUs(range.from)), toIso: usToIso(msToUs(range.to)) };
  }

  private async rows(
    table: TableSpec,
    query: { from: string; to: string; sort: string; dir: 'asc' | 'desc'; limit: number },
    filters: Filters,
    now: EpochMs,
  ): Promise<RowsResponse> {
    const { fromIso, toIso } = this.range(query, now);
    const params: unknown[] = [fromIso, toIso];
    const where = ['ts >= $1', 'ts < $2'];
    for (const [column, value] of Object.entries(filters)) {
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    // The sort column passed the schema's enum of this table's columns; checked again before splicing.
    const sort = table.columns.find((column) => column.name === query.sort)?.name ?? 'ts';
    const limit = Math.min(Math.trunc(query.limit), this.config.QUERY_API_MAX_RECORDS);
    const rows = await this.client.query<Record<string, unknown>>(
      `SELECT ${table.columns.map((column) => column.name).join(', ')} FROM ${table.name} ` +
        `WHERE ${where.join(' AND ')} ORDER BY ${sort} ${query.dir === 'asc' ? 'ASC' : 'DESC'} LIMIT ${limit}`,
      params,
    );
    const timestamps = table.columns
      .filter((column) => column.type === 'TIMESTAMP')
      .map((column) => column.name);
    const longs = table.columns.filter((column) => column.type === 'LONG').map((column) => column.name);
    return {
      from: fromIso,
      to: toIso,
      rows: rows.map((row) => {
        const out: Record<string, string | number | null> = {};
        for (const column of table.columns) {
          const value = row[column.name];
          if (value === null || value === undefined) out[column.name] = null;
          else if (timestamps.includes(column.name)) out[column.name] = usToIso(value as EpochUs);
          else if (longs.includes(column.name)) out[column.name] = Number(value);
          else out[column.name] = value as string | number;
        }
        return out;
      }),
    };
  }
}
