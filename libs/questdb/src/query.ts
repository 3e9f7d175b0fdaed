import pg from 'pg';
import { QuestDbError } from './errors.js';
import { BinaryPool, type ColumnarResult } from './pg-binary.js';
import { parseWireTimestamp } from './wire-timestamp.js';

const TIMESTAMP_OID = 1114;
const TIMESTAMPTZ_OID = 1184;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMP_OID || oid === TIMESTAMPTZ_OID) return parseWireTimestamp;
    return pg.types.getTypeParser(oid, format);
  },
};

export interface QueryClientOptions {
  /** `postgresql://user:password@host:8812/qdb` */
  pgUrl: string;
  maxConnections?: number;
  statementTimeoutMs?: number;
}

/** Queries over QuestDB's PostgreSQL wire protocol; timestamps come back as {@link EpochUs}. */
export class QueryClient {
  private readonly pool: pg.Pool;
  private readonly binary: BinaryPool;

  constructor(options: QueryClientOptions) {
    this.binary = new BinaryPool({
      pgUrl: options.pgUrl,
      maxConnections: options.maxConnections ?? 4,
      statementTimeoutMs: options.statementTimeoutMs,
    });
    this.pool = new pg.Pool({
      connectionString: options.pgUrl,
      max: options.maxConnections ?? 4,
      types,
      ...(options.statementTimeoutMs === undefined ? {} : { query_timeout: options.statementTimeoutMs }),
    });
    this.pool.on('error', () => undefined); // an idle client's broken socket is replaced on next use
  }

  /** Runs SQL with `$1`-style parameters; identifiers must come from `@millrace/schema`, never from input. */
  async query<Row extends Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<Row[]> {
    try {
      const result = await this.pool.query<Row>(sql, [...params]);
      return result.rows;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // Connection failures have no SQLSTATE; a SQL error (syntax, unknown table) will fail the same way again.
      const retriable = code === undefined || code.startsWith('08') || code === '57P01';
      throw new QuestDbError(
        `query failed: ${(error as Error).message} [${sql.slice(0, 200)}]`,
        retriable,
        {},
        { cause: error },
      );
    }
  }

  /**
   * Runs SQL like {@link query} but takes the answer in PG binary format as columns: no text to parse and
   * no object per row, for answers of many rows (a chart's 100k+). Its own connections, opened on demand.
   * `expectedRows`, where the caller can tell, sizes the columns once instead of growing them.
   */
  columns(sql: string, params: readonly unknown[] = [], expectedRows?: number): Promise<ColumnarResult> {
    return this.binary.query(sql, params, expectedRows);
  }

  async count(table: string, where = ''): Promise<number> {
    const rows = await this.query<{ count: string | number }>(
      `SELECT count() AS count FROM ${table} ${where}`,
    );
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * Resolves when every committed WAL transaction of `table` is applied, i.e. what QuestDB acknowledged
   * is now visible to queries. Polls; fails after `timeoutMs`.
   */
  async waitForWalApplied(table: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.query<{
        suspended: boolean;
        writerTxn: string | number;
        sequencerTxn: string | number;
      }>('SELECT suspended, writerTxn, sequencerTxn FROM wal_tables() WHERE name = $1', [table]);
      const status = rows[0];
      if (status?.suspended) throw new QuestDbError(`WAL of ${table} is suspended`, false, { table });
      if (status && Number(status.writerTxn) >= Number(status.sequencerTxn)) return;
      if (Date.now() > deadline)
        throw new QuestDbError(`WAL of ${table} not applied after ${timeoutMs} ms`, true, { table });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Resolves when a materialized view has caught up with its base table's committed transactions. */
  async waitForViewRefreshed(view: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [status] = await this.query<{
        view_status: string;
        refresh_base_table_txn: string | number;
        base_table_txn: string | number;
      }>(
        'SELECT view_status, refresh_base_table_txn, base_table_txn FROM materialized_views() WHERE view_name = $1',
        [view],
      );
      if (status === undefined) throw new QuestDbError(`no materialized view ${view}`, false, { view });
      if (status.view_status === 'invalid')
        throw new QuestDbError(`materialized view ${view} is invalid`, false, { view });
      if (
        status.view_status !== 'refreshing' &&
        Number(status.refresh_base_table_txn) >= Number(status.base_table_txn)
      )
        return;
      if (Date.now() > deadline)
        throw new QuestDbError(`view ${view} not refreshed after ${timeoutMs} ms`, true, { view });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  end(): Promise<void> {
    this.binary.end();
    return this.pool.end();
  }
}
