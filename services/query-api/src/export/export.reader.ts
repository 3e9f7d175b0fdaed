import { Readable } from 'node:stream';
import type { QueryApiConfig } from '@millrace/config';
import type { QueryClient } from '@millrace/questdb';
import { TABLES } from '@millrace/schema';
import { msToUs, usToIso, type EpochMs, type EpochUs } from '@millrace/time';
import { resolveTimeRange } from '@millrace/timerange';
import type { z } from 'zod';
import { badRequest, resolving } from '../http/validation.js';
import type { TagCatalog } from '../tags/tag-catalog.js';
import type { exportQuerySchema } from './export.api.js';

interface SampleRow extends Record<string, unknown> {
  ts: EpochUs;
  value: number | null;
  value_text: string | null;
  quality: string | null;
}

export const CSV_HEADER = 'ts,tag,value,value_text,quality\n';

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Raw samples of one tag as CSV lines, read by keyset pages: `ts > last` is exact because (ts, tag) is
 * the table's dedup key, so no two rows of a tag share a ts. At most one page is held in memory, and the
 * next page is read only when the reply stream asks for more (Readable.from pulls on demand).
 */
export class ExportReader {
  constructor(
    private readonly client: QueryClient,
    private readonly catalog: TagCatalog,
    private readonly config: QueryApiConfig,
  ) {}

  /** Validates the request (400s are thrown here, before anything is sent) and returns the CSV stream. */
  async open(query: z.infer<typeof exportQuerySchema>, now: EpochMs): Promise<Readable> {
    const range = resolving(() =>
      resolveTimeRange({ from: query.from, to: query.to }, { now, zone: this.config.MILLRACE_PLANT_TZ }),
    );
    const { unknown } = await this.catalog.lookup([query.tag], now);
    if (unknown.length > 0) throw badRequest(`tag: unknown tag ${query.tag}`);
    return Readable.from(this.lines(query.tag, msToUs(range.from), msToUs(range.to)), { objectMode: false });
  }

  private async *lines(tag: string, from: EpochUs, to: EpochUs): AsyncGenerator<string> {
    yield CSV_HEADER;
    const page = Math.trunc(this.config.QUERY_API_EXPORT_PAGE_ROWS);
    const tagField = csvField(tag);
    let after: EpochUs | undefined;
    for (;;) {
      const rows = await this.client.query<SampleRow>(
        `SELECT ts, value, value_text, quality FROM ${TABLES.samples.name} ` +
          `WHERE tag = $1 AND ${after === undefined ? 'ts >= $2' : 'ts > $2'} AND ts < $3 ORDER BY ts LIMIT ${page}`,
        [tag, usToIso(after ?? from), usToIso(to)],
      );
      if (rows.length === 0) return;
      let chunk = '';
      for (const row of rows)
        chunk += `${usToIso(row.ts)},${tagField},${csvField(row.value)},${csvField(row.value_text)},${csvField(row.quality)}\n`;
      yield chunk;
      if (rows.length < page) return;
      after = rows[rows.length - 1]!.ts;
    }
  }
}
