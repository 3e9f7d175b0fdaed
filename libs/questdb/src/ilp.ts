import type { TableSpec } from '@millrace/schema';
import { createTransport, SenderOptions, type SenderTransport } from '@questdb/nodejs-client';
import { QuestDbError } from './errors.js';
import { LineEncoder, type Row } from './line-protocol.js';

/** Rows for one table, either as row objects or already encoded as ILP lines (with their count). */
export type TableWrite =
  { table: TableSpec; rows: readonly Row[] } | { table: TableSpec; lines: string; count: number };

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
 * One request per call; with one table per request QuestDB commits it as one transaction.
 */
export class IlpWriter {
  private readonly encoders = new Map<string, LineEncoder>();

  private constructor(private readonly transport: SenderTransport) {}

  static async connect(options: IlpWriterOptions): Promise<IlpWriter> {
    const url = new URL(options.httpUrl);
    const conf = [
      `${url.protocol === 'https:' ? 'https' : 'http'}::addr=${url.host}`,
      `retry_timeout=${options.retryTimeoutMs ?? 2_000}`,
      `request_timeout=${options.requestTimeoutMs ?? 10_000}`,
    ];
    const senderOptions = await SenderOptions.fromConfig(`${conf.join(';')};`, { log: () => undefined });
    return new IlpWriter(createTransport(senderOptions));
  }

  /** Appends the rows to `table` as one request; resolves with the number of rows sent. */
  async write(table: TableSpec, rows: readonly Row[]): Promise<number> {
    if (rows.length === 0) return 0;
    const { text, skipped } = this.encoderFor(table).encode(rows);
    await this.send(table, text);
    return rows.length - skipped;
  }

  /** Writes whatever form a {@link TableWrite} holds; resolves with the number of rows sent. */
  async writeTable(write: TableWrite): Promise<number> {
    if ('rows' in write) return this.write(write.table, write.rows);
    await this.send(write.table, write.lines);
    return write.count;
  }

  /** The encoder of a table, for callers that build lines themselves (e.g. from columns). */
  encoderFor(table: TableSpec): LineEncoder {
    let encoder = this.encoders.get(table.name);
    if (encoder?.table !== table) {
      encoder = new LineEncoder(table);
      this.encoders.set(table.name, encoder);
    }
    return encoder;
  }

  private async send(table: TableSpec, text: string): Promise<void> {
    if (text.length === 0) return;
    try {
      await this.transport.send(Buffer.from(text, 'utf8'));
    } catch (error) {
      throw toQuestDbError(error, table.name);
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

function toQuestDbError(error: unknown, table: string): QuestDbError {
  const message = (error as Error).message ?? String(error);
  const status = /status(?:Code)?[=: ]+(\d{3})/i.exec(message)?.[1];
  // 4xx means QuestDB parsed and refused the data: sending it again cannot succeed.
  const retriable = status === undefined || !status.startsWith('4');
  return new QuestDbError(`ILP write to ${table} failed: ${message}`, retriable, { table }, { cause: error });
}
