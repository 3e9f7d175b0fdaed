import { randomUUID } from 'node:crypto';
import type { QueryApiConfig } from '@millrace/config';
import type { IlpWriter, QueryClient } from '@millrace/questdb';
import { riskReasonSchema, TABLES } from '@millrace/schema';
import { isoToUs, msToUs, usToIso, type EpochMs, type EpochUs } from '@millrace/time';
import { resolveTimeRange } from '@millrace/timerange';
import { z } from 'zod';
import { badRequest, resolving } from '../http/validation.js';
import {
  EVENT_KINDS,
  type Annotation,
  type annotationBodySchema,
  type EventKind,
  type EventsResponse,
  type eventsQuerySchema,
  type TimelineEvent,
} from './events.api.js';

type DbRow = Record<string, unknown>;
const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
const iso = (value: unknown): string => usToIso(value as EpochUs);

function parseTags(value: unknown): string[] {
  if (typeof value !== 'string' || value === '') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

/**
 * One timeline from five tables. Every query binds the range as parameters; the only spliced text is
 * the LIMIT (an integer from config). Outages and ranged annotations overlap the window when they
 * started before `to` and ended (or are still open) after `from`.
 */
export class EventsReader {
  constructor(
    private readonly client: QueryClient,
    private readonly writer: () => IlpWriter,
    private readonly config: QueryApiConfig,
  ) {}

  async read(query: z.infer<typeof eventsQuerySchema>, now: EpochMs): Promise<EventsResponse> {
    const range = resolving(() =>
      resolveTimeRange({ from: query.from, to: query.to }, { now, zone: this.config.MILLRACE_PLANT_TZ }),
    );
    if (range.to - range.from > this.config.QUERY_API_MAX_EVENTS_RANGE_MS)
      throw badRequest(
        `range too large for events: at most ${this.config.QUERY_API_MAX_EVENTS_RANGE_MS / 86_400_000} days`,
      );
    const from = usToIso(msToUs(range.from));
    const to = usToIso(msToUs(range.to));
    const kinds = new Set<EventKind>(query.kind ?? EVENT_KINDS);
    const reads = [...kinds].map((kind) => this.readKind(kind, from, to, query.risk === 'all'));
    const events = (await Promise.all(reads)).flat();
    events.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    return { from, to, events };
  }

  private async select(sql: string, params: unknown[]): Promise<DbRow[]> {
    const limit = Math.trunc(this.config.QUERY_API_MAX_EVENTS);
    return this.client.query<DbRow>(`${sql} ORDER BY ts DESC LIMIT ${limit}`, params);
  }

  private async readKind(
    kind: EventKind,
    from: string,
    to: string,
    allRisk: boolean,
  ): Promise<TimelineEvent[]> {
    switch (kind) {
      case 'risk': {
        const rows = await this.select(
          'SELECT ts, cell_id, order_id, model_version, risk_class, probability, recommendation, reasons, unknown_reason ' +
            `FROM ${TABLES.riskEvents.name} WHERE ts >= $1 AND ts < $2${allRisk ? '' : " AND risk_class = 'high'"}`,
          [from, to],
        );
        return rows.map((row) => ({
          kind,
          ts: iso(row.ts),
          title: `${text(row.risk_class)} risk: cell ${text(row.cell_id)}`,
          text:
            row.probability === null || row.probability === undefined
              ? text(row.recommendation)
              : `p=${Number(row.probability).toFixed(3)}: ${text(row.recommendation)}`,
          tags: [text(row.order_id), text(row.model_version)].filter((tag) => tag !== ''),
          severity: row.risk_class === 'high' ? 'high' : row.risk_class === 'low' ? 'low' : 'info',
          risk: {
            cellId: text(row.cell_id),
            orderId: text(row.order_id),
            riskClass: text(row.risk_class),
            probability:
              row.probability === null || row.probability === undefined ? null : Number(row.probability),
            recommendation: text(row.recommendation),
            modelVersion: text(row.model_version),
            reasons: reasonsOf(row.reasons),
            unknownReason:
              row.unknown_reason === null || row.unknown_reason === undefined
                ? null
                : text(row.unknown_reason),
          },
        }));
      }
      case 'order': {
        const rows = await this.select(
          `SELECT ts, order_id, line, product, quantity, state FROM ${TABLES.orders.name} WHERE ts >= $1 AND ts < $2`,
          [from, to],
        );
        return rows.map((row) => ({
          kind,
          ts: iso(row.ts),
          title: `order ${text(row.order_id)} ${text(row.state)}`,
          text: `${text(row.product)} × ${Number(row.quantity)} on ${text(row.line)}`,
          tags: [text(row.line), text(row.product)].filter((tag) => tag !== ''),
          severity: row.state === 'aborted' ? 'warning' : 'info',
        }));
      }
      case 'command': {
        const rows = await this.select(
          'SELECT ts, command_id, machine, setpoint, value, reason, issued_by, result, detail ' +
            `FROM ${TABLES.machineCommands.name} WHERE ts >= $1 AND ts < $2`,
          [from, to],
        );
        return rows.map((row) => ({
          kind,
          ts: iso(row.ts),
          title: `${text(row.machine)} ${text(row.setpoint)} = ${text(row.value)}${row.result ? ` (${text(row.result)})` : ''}`,
          text: [text(row.reason), text(row.detail)].filter((part) => part !== '').join(' · '),
          tags: [text(row.machine), text(row.issued_by)].filter((tag) => tag !== ''),
          severity: row.result === 'rejected' || row.result === 'failed' ? 'warning' : 'info',
        }));
      }
      case 'gap': {
        const rows = await this.select(
          `SELECT ts, endpoint, source, end_ts FROM ${TABLES.ingestGaps.name} ` +
            'WHERE ts < $2 AND (end_ts IS NULL OR end_ts >= $1)',
          [from, to],
        );
        return rows.map((row) => ({
          kind,
          ts: iso(row.ts),
          ...(row.end_ts === null || row.end_ts === undefined ? {} : { endTs: iso(row.end_ts) }),
          title: `${text(row.source)} outage${row.end_ts === null ? ' (ongoing)' : ''}`,
          text: text(row.endpoint),
          tags: [text(row.source)].filter((tag) => tag !== ''),
          severity: 'warning',
        }));
      }
      case 'annotation': {
        const rows = await this.select(
          `SELECT ts, id, end_ts, text, tags, author FROM ${TABLES.annotations.name} ` +
            'WHERE ts < $2 AND (ts >= $1 OR end_ts >= $1)',
          [from, to],
        );
        return rows.map((row) => ({
          kind,
          id: text(row.id),
          ts: iso(row.ts),
          ...(row.end_ts === null || row.end_ts === undefined ? {} : { endTs: iso(row.end_ts) }),
          title: row.author ? `annotation by ${text(row.author)}` : 'annotation',
          text: text(row.text),
          tags: parseTags(row.tags),
          severity: 'info',
        }));
      }
    }
  }

  /** Stores an annotation under a new id; resolves once QuestDB acknowledged the write. */
  async annotate(body: z.infer<typeof annotationBodySchema>): Promise<Annotation> {
    const id = randomUUID();
    const ts = isoToUs(body.ts);
    const endTs = body.endTs === undefined ? undefined : isoToUs(body.endTs);
    const tags = body.tags ?? [];
    await this.writer().write(TABLES.annotations, [
      {
        ts,
        id,
        end_ts: endTs ?? null,
        text: body.text,
        tags: JSON.stringify(tags),
        author: body.author ?? null,
      },
    ]);
    return {
      id,
      ts: usToIso(ts),
      ...(endTs === undefined ? {} : { endTs: usToIso(endTs) }),
      text: body.text,
      tags,
      ...(body.author === undefined ? {} : { author: body.author }),
    };
  }
}

const storedReasons = z.array(riskReasonSchema);

/** The reasons column holds the event's reasons as JSON (stream processor); anything else reads as none. */
function reasonsOf(stored: unknown): z.infer<typeof storedReasons> {
  if (typeof stored !== 'string') return [];
  try {
    const parsed = storedReasons.safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}
