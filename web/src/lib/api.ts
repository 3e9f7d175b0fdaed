import {
  dashboardEnvelopeSchema,
  dashboardListSchema,
  type Dashboard,
  type DashboardEnvelope,
  type DashboardSummary,
  type M4Answer,
  decodeSeriesBinary,
  SERIES_BINARY_TYPE,
} from '@millrace/dashboards';
import {
  commandAcceptedSchema,
  commandsResponseSchema,
  type commandBodySchema,
  ordersResponseSchema,
  outboxResponseSchema,
  type ProductionOrder,
} from '@millrace/schema';
import { z } from 'zod';

/** An API failure the UI shows as is: 401/403 name the token, 5xx and network errors offer a retry. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TOKEN_KEY = 'millrace.token';

export const tokenStore = {
  get: (): string => globalThis.localStorage?.getItem(TOKEN_KEY) ?? '',
  set: (token: string) =>
    token
      ? globalThis.localStorage?.setItem(TOKEN_KEY, token)
      : globalThis.localStorage?.removeItem(TOKEN_KEY),
};

const m4Schema = z.object({
  tag: z.string(),
  times: z.array(z.number()),
  min: z.array(z.number().nullable()),
  max: z.array(z.number().nullable()),
  avg: z.array(z.number().nullable()),
  last: z.array(z.number().nullable()),
  count: z.array(z.number()),
});
export const PRODUCTION_KINDS = ['coil', 'order', 'cell'] as const;
/** A unit in production: with it the series API takes that unit's time on the line as the range. */
export type Production = { kind: (typeof PRODUCTION_KINDS)[number]; id: string };
const seriesSchema = z.object({
  bucketMs: z.number(),
  tier: z.string(),
  from: z.object({ iso: z.string() }).optional(),
  to: z.object({ iso: z.string() }).optional(),
  production: z.object({ kind: z.enum(PRODUCTION_KINDS), id: z.string() }).optional(),
  series: z.array(m4Schema),
});
export type SeriesAnswer = {
  bucketMs: number;
  tier: string;
  from?: { iso: string } | undefined;
  to?: { iso: string } | undefined;
  production?: Production | undefined;
  series: (M4Answer & { avg: (number | null)[] })[];
};

const cell = z.union([z.string(), z.number(), z.null()]);
export type Row = Record<string, string | number | null>;
const rowsSchema = z.object({ rows: z.array(z.record(z.string(), cell)) });
const summarySchema = z.object({ groups: z.array(z.record(z.string(), cell)) });
export const eventSchema = z.object({
  kind: z.string(),
  ts: z.string(),
  endTs: z.string().optional(),
  title: z.string(),
  text: z.string(),
  tags: z.array(z.string()).optional(),
  severity: z.string().optional(),
  risk: z
    .object({
      cellId: z.string(),
      orderId: z.string(),
      riskClass: z.string(),
      probability: z.number().nullable(),
      recommendation: z.string(),
      modelVersion: z.string(),
      reasons: z.array(
        z.object({ feature: z.string(), value: z.number().nullable(), contribution: z.number() }),
      ),
      unknownReason: z.string().nullable().optional(),
    })
    .optional(),
});
export type TimelineEvent = z.infer<typeof eventSchema>;
const eventsSchema = z.object({ events: z.array(eventSchema) });
const tagSchema = z.object({
  path: z.string(),
  unit: z.string().nullable(),
  description: z.string().nullable(),
  valueType: z.string().nullable(),
  firstTs: z.string().nullable(),
  lastTs: z.string().nullable(),
  lastValue: z.number().nullable(),
  lastText: z.string().nullable(),
});
export type TagEntry = z.infer<typeof tagSchema>;
const tagsSchema = z.object({ tags: z.array(tagSchema) });
const healthSchema = z.object({
  generatedAt: z.string(),
  tags: z.array(
    z.object({
      tag: z.string(),
      source: z.string().nullable(),
      lastSeen: z.string().nullable(),
      ingestLagMs: z.number().nullable(),
      lateSamples: z.number().nullable().optional(),
      droppedSamples: z.number().nullable().optional(),
      deadLetters: z.number().nullable().optional(),
    }),
  ),
  pipeline: z.object({
    processorReachable: z.boolean(),
    samples: z.record(z.string(), z.number()).nullable(),
    deadLettersByTopic: z.record(z.string(), z.number()).nullable(),
    consumerLagByTopic: z.record(z.string(), z.number()).nullable(),
    questdbWriteSecondsAvg: z.number().nullable(),
    sourceLagSeconds: z.number().nullable(),
    deadLetterTopics: z.array(z.object({ topic: z.string(), messages: z.number() })).nullable(),
    openGaps: z.array(z.object({ endpoint: z.string(), source: z.string(), since: z.string() })),
    problems: z.array(z.string()),
  }),
});
export type HealthAnswer = z.infer<typeof healthSchema>;
const uiConfigSchema = z.object({
  plantTimeZone: z.string(),
  shiftCalendar: z.object({ shifts: z.array(z.object({ name: z.string(), start: z.string() })) }),
});
export type UiConfig = z.infer<typeof uiConfigSchema>;

// The MES bridge's answers (forwarded by query-api under /api/mes/*): the bridge's own schemas, times in µs.
export type MesOrder = ProductionOrder;
export type MesOutbox = z.output<typeof outboxResponseSchema>;
export type MesCommands = z.output<typeof commandsResponseSchema>;
export type CommandBody = z.input<typeof commandBodySchema>;

type Params = Record<string, string | number | readonly string[] | undefined>;

function query(params: Params): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) search.append(key, item);
    else search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The query API, parsed at the edge with zod; sends `Authorization: Bearer` when the user set a token. */
export class Api {
  constructor(
    private readonly base = '',
    private readonly token: () => string = tokenStore.get,
  ) {}

  async request<T>(
    method: string,
    path: string,
    schema: z.ZodType<T> | undefined,
    body?: unknown,
    signal?: AbortSignal,
    accept = 'application/json',
  ): Promise<T> {
    const headers: Record<string, string> = { accept };
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError('The query API is not reachable.', 0, true);
    }
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const json = (await response.json()) as { message?: unknown };
        if (typeof json.message === 'string') message = json.message;
      } catch {
        // not JSON: keep the status line
      }
      if (response.status === 401) message = `Not signed in (401): set an API token in Settings. ${message}`;
      if (response.status === 403)
        message = `Not allowed (403): your token lacks the role for this. ${message}`;
      throw new ApiError(message, response.status, response.status >= 500 || response.status === 429);
    }
    if (!schema) return (await response.text()) as T;
    const binary = response.headers.get('content-type')?.startsWith(SERIES_BINARY_TYPE) === true;
    const parsed = schema.safeParse(
      binary ? decodeSeriesBinary(await response.arrayBuffer()) : await response.json(),
    );
    if (!parsed.success)
      throw new ApiError(`Unexpected answer from ${path}: ${parsed.error.issues[0]?.message}`, 502, false);
    return parsed.data;
  }

  get<T>(path: string, params: Params, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    return this.request('GET', `${path}${query(params)}`, schema, undefined, signal);
  }

  /** With `production`, the range is that coil's, order's or cell's time in production (from/to unused). */
  series(
    tags: readonly string[],
    from: number,
    to: number,
    width: number,
    signal?: AbortSignal,
    production?: Production,
  ): Promise<SeriesAnswer> {
    const range = production ? { [production.kind]: production.id } : { from, to };
    const params = { tag: tags, ...range, width: Math.max(1, Math.round(width)) };
    // Float64 columns instead of JSON text: a many-tag answer is formatted and parsed many times faster.
    return this.request(
      'GET',
      `/api/series${query(params)}`,
      seriesSchema,
      undefined,
      signal,
      `${SERIES_BINARY_TYPE}, application/json;q=0.5`,
    );
  }

  /** The time a coil, order or cell was in production (ms), as the series API resolves it. */
  async productionSpan(production: Production, tag: string): Promise<{ from: number; to: number }> {
    const answer = await this.series([tag], 0, 0, 1, undefined, production);
    const from = Date.parse(answer.from?.iso ?? '');
    const to = Date.parse(answer.to?.iso ?? '');
    if (!Number.isFinite(from) || !Number.isFinite(to))
      throw new ApiError(`No time in production for ${production.kind} ${production.id}`, 404, false);
    return { from, to };
  }

  coilData(params: Params, signal?: AbortSignal): Promise<Row[]> {
    return this.rows('/api/coil-data', params, signal);
  }

  mesOrders(
    params: { line?: string | undefined; limit?: number },
    signal?: AbortSignal,
  ): Promise<MesOrder[]> {
    return this.get('/api/mes/orders', params, ordersResponseSchema, signal).then((answer) => answer.orders);
  }

  mesOutbox(signal?: AbortSignal): Promise<MesOutbox> {
    return this.get('/api/mes/outbox', {}, outboxResponseSchema, signal);
  }

  mesCommands(limit: number, signal?: AbortSignal): Promise<MesCommands> {
    return this.get('/api/mes/commands', { limit }, commandsResponseSchema, signal);
  }

  /** Queues an operator command (202); its result comes later through {@link mesCommands}. */
  sendCommand(body: CommandBody): Promise<z.output<typeof commandAcceptedSchema>> {
    return this.request('POST', '/api/mes/commands', commandAcceptedSchema, body);
  }

  rows(path: string, params: Params, signal?: AbortSignal): Promise<Row[]> {
    return this.get(path, params, rowsSchema, signal).then((answer) => answer.rows);
  }

  summary(by: string, from: number, to: number, signal?: AbortSignal): Promise<Row[]> {
    return this.get('/api/production/summary', { by, from, to }, summarySchema, signal).then(
      (answer) => answer.groups,
    );
  }

  events(
    kinds: readonly string[],
    risk: string,
    from: number,
    to: number,
    signal?: AbortSignal,
  ): Promise<TimelineEvent[]> {
    return this.get('/api/events', { kind: kinds, risk, from, to }, eventsSchema, signal).then(
      (answer) => answer.events,
    );
  }

  tags(params: { search?: string; prefix?: string }, signal?: AbortSignal): Promise<TagEntry[]> {
    return this.get('/api/tags', params, tagsSchema, signal).then((answer) => answer.tags);
  }

  health(signal?: AbortSignal): Promise<HealthAnswer> {
    return this.get('/api/health/tags', {}, healthSchema, signal);
  }

  /** Raw samples of one tag as CSV text (for string tags: the state timeline). */
  exportCsv(tag: string, from: number, to: number, signal?: AbortSignal): Promise<string> {
    return this.request('GET', `/api/export${query({ tag, from, to })}`, undefined, undefined, signal);
  }

  uiConfig(): Promise<UiConfig> {
    return this.get('/api/ui-config', {}, uiConfigSchema);
  }

  dashboards(search?: string): Promise<DashboardSummary[]> {
    return this.get('/api/dashboards', { search }, dashboardListSchema).then((answer) => answer.dashboards);
  }

  dashboard(id: string): Promise<DashboardEnvelope> {
    return this.get(`/api/dashboards/${encodeURIComponent(id)}`, {}, dashboardEnvelopeSchema);
  }

  saveDashboard(dashboard: Dashboard, isNew: boolean): Promise<DashboardEnvelope> {
    return isNew
      ? this.request('POST', '/api/dashboards', dashboardEnvelopeSchema, dashboard)
      : this.request(
          'PUT',
          `/api/dashboards/${encodeURIComponent(dashboard.id)}`,
          dashboardEnvelopeSchema,
          dashboard,
        );
  }

  deleteDashboard(id: string): Promise<unknown> {
    return this.request('DELETE', `/api/dashboards/${encodeURIComponent(id)}`, z.unknown());
  }

  annotate(ts: string, text: string): Promise<unknown> {
    return this.request('POST', '/api/annotations', z.unknown(), { ts, text });
  }
}
