import type { QueryApiConfig } from '@millrace/config';
import type { QueryClient } from '@millrace/questdb';
import { TABLES } from '@millrace/schema';
import { usToIso, type EpochMs, type EpochUs } from '@millrace/time';
import { badRequest } from '../http/validation.js';

export interface ProductionFilter {
  order?: string | undefined;
  coil?: string | undefined;
  cell?: string | undefined;
}

/** The time span of one production unit, as ISO instants for the series range. */
export interface ProductionSpan {
  readonly kind: 'order' | 'coil' | 'cell';
  readonly id: string;
  readonly from: string;
  readonly to: string;
}

/**
 * Where a series is filtered by an order, a coil or a cell, its range is that unit's time in production
 * (genealogy): an order from `running` to `completed`/`aborted` (or now), a coil from its start to its
 * end, a cell from a lead-in before its assembly record (IPQC, the machine window it was built in) to
 * its last inspection. Ids are bound as parameters.
 */
export class ProductionSpans {
  constructor(
    private readonly client: QueryClient,
    private readonly config: QueryApiConfig,
  ) {}

  async spanOf(filter: ProductionFilter, now: EpochMs): Promise<ProductionSpan | undefined> {
    const given = (['order', 'coil', 'cell'] as const).filter((kind) => filter[kind] !== undefined);
    if (given.length === 0) return undefined;
    if (given.length > 1) throw badRequest(`${given.join(', ')}: filter by one of order, coil or cell`);
    if (filter.order !== undefined) return this.order(filter.order, now);
    if (filter.coil !== undefined) return this.coil(filter.coil);
    return this.cell(filter.cell!);
  }

  private async order(id: string, now: EpochMs): Promise<ProductionSpan> {
    const states = await this.client.query<{ state: string; ts: EpochUs }>(
      `SELECT state, ts FROM ${TABLES.orders.name} WHERE order_id = $1 ORDER BY ts`,
      [id],
    );
    const started = states.find((row) => row.state === 'running');
    if (!started) {
      throw badRequest(
        states.length === 0 ? `order: unknown order ${id}` : `order: order ${id} has not run yet`,
      );
    }
    const ended = states.find(
      (row) => (row.state === 'completed' || row.state === 'aborted') && row.ts > started.ts,
    );
    const toUs = ended?.ts ?? ((now * 1_000) as EpochUs);
    return { kind: 'order', id, from: usToIso(started.ts), to: usToIso(toUs) };
  }

  private async coil(id: string): Promise<ProductionSpan> {
    const [row] = await this.client.query<{ ts: EpochUs; end_ts: EpochUs | null }>(
      `SELECT ts, end_ts FROM ${TABLES.coils.name} WHERE coil_id = $1 LATEST ON ts PARTITION BY coil_id`,
      [id],
    );
    if (!row) throw badRequest(`coil: unknown coil ${id}`);
    if (row.end_ts === null || row.end_ts <= row.ts) throw badRequest(`coil: coil ${id} has no end time yet`);
    return { kind: 'coil', id, from: usToIso(row.ts), to: usToIso(row.end_ts) };
  }

  private async cell(id: string): Promise<ProductionSpan> {
    const [row] = await this.client.query<{ first_ts: EpochUs | null; last_ts: EpochUs | null }>(
      `SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM ${TABLES.inspections.name} WHERE cell_id = $1`,
      [id],
    );
    if (!row?.first_ts || !row.last_ts) throw badRequest(`cell: unknown cell ${id}`);
    const leadUs = this.config.QUERY_API_CELL_LEAD_MS * 1_000;
    // The end is exclusive and ranges resolve to the millisecond: one past the last inspection keeps it inside.
    return {
      kind: 'cell',
      id,
      from: usToIso((row.first_ts - leadUs) as EpochUs),
      to: usToIso((row.last_ts + 1_000) as EpochUs),
    };
  }
}
