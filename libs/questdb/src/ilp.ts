import type { TableSpec } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';
import { Sender } from '@questdb/nodejs-client';
import { QuestDbError } from './errors.js';

export type ColumnValue = number | string | boolean | null | undefined;
/** One row: `ts` in microseconds plus any of the table's columns; null or absent columns are left null. */
export type Row = { ts: EpochUs } & Record<string, ColumnValue>;

export interface IlpWriterOptions {
  /** QuestDB's HTTP address, e.g. `http://127.0.0.1:9000`. */
  httpUrl: string;
  /** How long the client keeps retrying a failed request before reporting it (QuestDB client `retry_timeout`). */
  retryTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/**
 * Writes rows by InfluxDB Line Protocol over HTTP. `write` resolves only once QuestDB answered the
 * request: the rows are then durable in its WAL, which is when a consumer may commit its offsets.
 * Writes are serialised because one Sender has one buffer.
 */
export class IlpWriter {
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(private readonly sender: Sender) {}

  static async connect(options: IlpWriterOptions): Promise<IlpWriter> {
    const url = new URL(options.httpUrl);
    const conf = [
      `${url.protocol === 'https:' ? 'https' : 'http'}::addr=${url.host}`,
      'auto_flush=off',
      `retry_timeout=${options.retryTimeoutMs ?? 2_000}`,
      `request_timeout=${options.requestTimeoutMs ?? 10_000}`,
    ];
    const sender = await Sender.fromConfig(`${conf.join(';')};`, { log: () => undefined });
    return new IlpWriter(sender);
  }

  /** Appends the rows to `table` and flushes them as one request. */
  write(table: TableSpec, rows: readonly Row[]): Promise<void> {
    const run = this.tail.then(() => this.writeNow(table, rows));
    this.tail = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.tail;
    await this.sender.close();
  }

  private async writeNow(table: TableSpec, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    // ILP wants symbols before the other columns of a row.
    const symbols = table.columns.filter((column) => column.type === 'SYMBOL');
    const others = table.columns.filter((column) => column.type !== 'SYMBOL' && column.name !== 'ts');
    try {
      for (const row of rows) {
        this.sender.table(table.name);
        for (const column of symbols) {
          const value = row[column.name];
          if (value !== null && value !== undefined) this.sender.symbol(column.name, String(value));
        }
        for (const column of others) {
          const value = row[column.name];
          if (value === null || value === undefined) continue;
          switch (column.type) {
            case 'DOUBLE':
              this.sender.floatColumn(column.name, Number(value));
              break;
            case 'LONG':
            case 'INT':
              this.sender.intColumn(column.name, Number(value));
              break;
            case 'BOOLEAN':
              this.sender.booleanColumn(column.name, Boolean(value));
              break;
            case 'TIMESTAMP':
              this.sender.timestampColumn(column.name, Number(value), 'us');
              break;
            default:
              this.sender.stringColumn(column.name, String(value));
          }
        }
        await this.sender.at(row.ts, 'us');
      }
      await this.sender.flush();
    } catch (error) {
      this.sender.reset(); // a refused buffer must not be resent in front of the next write
      throw toQuestDbError(error, table.name);
    }
  }
}

function toQuestDbError(error: unknown, table: string): QuestDbError {
  const message = (error as Error).message ?? String(error);
  const status = /status(?:Code)?[=: ]+(\d{3})/i.exec(message)?.[1];
  // 4xx means QuestDB parsed and refused the data: sending it again cannot succeed.
  const retriable = status === undefined || !status.startsWith('4');
  return new QuestDbError(`ILP write to ${table} failed: ${message}`, retriable, { table }, { cause: error });
}
