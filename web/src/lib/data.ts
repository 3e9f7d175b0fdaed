import {
  appendLive,
  coilDataFrame,
  coilDataGroups,
  frameFromM4,
  newestCoil,
  panelTags,
  panelVariables,
  pivotCoilData,
  stateSegments,
  type CategoryGroups,
  type Column,
  type Panel,
  type SeriesFrame,
  type StateSegment,
} from '@millrace/dashboards';
import type { Api, HealthAnswer, Production, Row } from './api.js';
import { eventRow, mesCommandRows, mesOrderRows, mesOutboxRows, parseExportCsv } from './view-logic.js';

export type PanelData =
  | {
      kind: 'frame';
      frame: SeriesFrame;
      avgs: (number | null | undefined)[][];
      bucketMs: number;
      missing: string[];
      /** The unit whose time in production was the range (series asked with coil=, order= or cell=). */
      production?: Production | undefined;
      /** Said above the chart: which coil, or that rows were cut at the limit. */
      note?: string | undefined;
      /** Not tag samples (coil-file rows): the live feed must not subscribe to its series names. */
      live?: false;
    }
  | { kind: 'states'; lanes: { tag: string; segments: StateSegment[] }[]; tooLong: boolean }
  | { kind: 'rows'; rows: Row[]; columns?: Column[]; note?: string | undefined }
  | { kind: 'groups'; groups: CategoryGroups; note?: string | undefined }
  | { kind: 'health'; answer: HealthAnswer };

export interface LoadContext {
  readonly api: Api;
  readonly from: number;
  readonly to: number;
  readonly width: number;
  readonly selections: Readonly<Record<string, readonly string[]>>;
  /** Tags the catalog knows: a panel tag missing from it is reported, not silently empty. */
  readonly knownTags: ReadonlySet<string> | undefined;
  /** Series panels ask for this unit's time in production instead of from/to. */
  readonly production?: Production | undefined;
  readonly signal?: AbortSignal;
}

/** Rows per request of `/api/coil-data` (its maximum): a range holding more is cut, and says so. */
export const COIL_DATA_LIMIT = 10_000;

/** The longest range a state timeline reads raw samples for (the export endpoint streams every sample). */
export const STATE_MAX_RANGE_MS = 2 * 86_400_000;

/** Fetches what a panel shows, from the one endpoint its query names. */
export async function loadPanel(panel: Panel, ctx: LoadContext): Promise<PanelData> {
  const { api, from, to, signal } = ctx;
  const query = panel.query;
  switch (query.source) {
    case 'series': {
      const tags = panelTags(panel, ctx.selections);
      if (tags.length === 0)
        return { kind: 'frame', frame: frameFromM4([], []), avgs: [], bucketMs: 1000, missing: [] };
      const missing = ctx.knownTags ? tags.filter((tag) => !ctx.knownTags!.has(tag)) : [];
      const present = tags.filter((tag) => !missing.includes(tag));
      const answer =
        present.length > 0
          ? await api.series(present, from, to, ctx.width, signal, ctx.production)
          : { bucketMs: 1000, series: [], production: undefined };
      const frame = frameFromM4(tags, answer.series);
      const byTag = new Map(answer.series.map((series) => [series.tag, series]));
      const index = new Map(frame.times.map((t, i) => [t, i]));
      const avgs = tags.map((tag) => {
        const column = new Array<number | null | undefined>(frame.times.length).fill(undefined);
        const series = byTag.get(tag);
        series?.times.forEach((t, i) => (column[index.get(t)!] = series.avg[i]));
        return column;
      });
      return {
        kind: 'frame',
        frame,
        avgs,
        bucketMs: answer.bucketMs,
        missing,
        production: answer.production,
      };
    }
    case 'coil-data':
      return loadCoilData(panel, query.kind, ctx);
    case 'mes-orders':
      return {
        kind: 'rows',
        rows: mesOrderRows(await api.mesOrders({ line: query.line, limit: 500 }, signal)),
      };
    case 'mes-outbox':
      return { kind: 'rows', rows: mesOutboxRows(await api.mesOutbox(signal)) };
    case 'mes-commands':
      return { kind: 'rows', rows: mesCommandRows(await api.mesCommands(200, signal)) };
    case 'states': {
      if (to - from > STATE_MAX_RANGE_MS) return { kind: 'states', lanes: [], tooLong: true };
      const lanes = await Promise.all(
        query.tags.map(async (tag) => {
          const { ts, states } = parseExportCsv(await api.exportCsv(tag, from, to, signal));
          return { tag, segments: stateSegments(ts, states, Math.min(to, Date.now())) };
        }),
      );
      return { kind: 'states', lanes, tooLong: false };
    }
    case 'coils': {
      const coil = ctx.selections.coil?.[0];
      return { kind: 'rows', rows: await api.rows('/api/coils', { from, to, coil, limit: 2000 }, signal) };
    }
    case 'orders':
      return { kind: 'rows', rows: await api.rows('/api/orders', { from, to, limit: 2000 }, signal) };
    case 'inspections':
      return { kind: 'rows', rows: await api.rows('/api/inspections', { from, to, limit: 2000 }, signal) };
    case 'summary':
      return { kind: 'rows', rows: await api.summary(query.by, from, to, signal) };
    case 'events':
      return {
        kind: 'rows',
        rows: (await api.events(query.kinds, query.risk, from, to, signal)).map(eventRow).reverse(),
      };
    case 'health':
      return { kind: 'health', answer: await api.health(signal) };
    case 'catalog':
      return {
        kind: 'rows',
        rows: (await api.tags({ prefix: query.prefix }, signal)).map((tag) => ({
          tag: tag.path,
          lastTs: tag.lastTs,
          value: tag.lastText ?? tag.lastValue,
          unit: tag.unit,
        })),
      };
  }
}

/**
 * Coil-file rows: of the selected coil (wherever it lies in time); with none selected, a chart shows every
 * coil in the range and a table or bar chart the newest coil in it. One request per variable.
 */
async function loadCoilData(
  panel: Panel,
  kind: 'segment' | 'setup' | 'coiler' | 'strip',
  ctx: LoadContext,
): Promise<PanelData> {
  const { api, from, to, signal } = ctx;
  const variables = panelVariables(panel, ctx.selections);
  const chart = panel.type === 'timeseries';
  let coil = ctx.selections.coil?.[0];
  let note: string | undefined;
  const fetchAll = (params: Record<string, string | number | undefined>) =>
    Promise.all(
      variables.map((variable) =>
        api.coilData({ kind, variable, sort: 'ts', dir: 'desc', limit: COIL_DATA_LIMIT, ...params }, signal),
      ),
    ).then((lists) => lists.flat());
  let rows: Row[] = [];
  if (variables.length > 0) {
    if (coil) {
      // A coil's rows whatever the range: its setup lies at its start, which a zoom may have left.
      rows = await fetchAll(chart ? { coil, from, to } : { coil, from: '0', to: 'now' });
      note = `Coil ${coil}`;
    } else if (chart) {
      rows = await fetchAll({ from, to });
      if (rows.length >= COIL_DATA_LIMIT)
        note = `Newest ${COIL_DATA_LIMIT} rows per variable: narrow the range or pick a coil`;
    } else {
      const newest = await api.coilData(
        { kind, variable: variables[0], from, to, sort: 'ts', dir: 'desc', limit: 1 },
        signal,
      );
      coil = newestCoil(newest);
      if (coil) {
        rows = await fetchAll({ coil, from: '0', to: 'now' });
        note = `Coil ${coil} (newest in range; pick one above)`;
      }
    }
  }
  if (chart) {
    const frame = coilDataFrame(kind, rows);
    return { kind: 'frame', frame, avgs: frame.lines, bucketMs: 1000, missing: [], note, live: false };
  }
  if (panel.type === 'barchart')
    return { kind: 'groups', groups: coilDataGroups(kind, rows, variables), note };
  const table = pivotCoilData(kind, rows, variables);
  return { kind: 'rows', rows: table.rows, columns: table.columns, note };
}

/** The newest time a panel's data holds (ms), for "data last updated at". */
export function newestOf(data: PanelData | undefined): number | undefined {
  if (!data) return undefined;
  if (data.kind === 'frame') {
    const { frame } = data;
    for (let i = frame.times.length - 1; i >= 0; i -= 1)
      if (frame.counts.some((counts) => (counts[i] ?? 0) > 0)) return frame.times[i]! * 1000;
    return undefined;
  }
  if (data.kind === 'states')
    return (
      Math.max(...data.lanes.flatMap((lane) => lane.segments.map((segment) => segment.from)), -Infinity) ||
      undefined
    );
  if (data.kind === 'health') return Date.parse(data.answer.generatedAt);
  if (data.kind === 'groups') return undefined;
  const times = data.rows
    .map((row) => (typeof row.ts === 'string' ? Date.parse(row.ts) : NaN))
    .filter(Number.isFinite);
  return times.length > 0 ? Math.max(...times) : undefined;
}

interface CacheEntry {
  readonly data: PanelData;
  readonly fetchedAt: number;
}

/**
 * Answers kept per panel query and range text, so leaving a dashboard and coming back shows the last
 * answer at once and fetches again only when it is older than the refresh interval (never, with refresh off).
 */
export class PanelCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly maxEntries = 200) {}

  get(key: string, maxAgeMs: number, now: number): PanelData | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (maxAgeMs > 0 && now - entry.fetchedAt > maxAgeMs) return undefined;
    return entry.data;
  }

  /** The last answer whatever its age: shown while a refetch runs or when the API is down. */
  stale(key: string): PanelData | undefined {
    return this.entries.get(key)?.data;
  }

  set(key: string, data: PanelData, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { data, fetchedAt: now });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * The live feed of a dashboard: one WebSocket to /api/live for every tag of its series panels. Samples
 * are appended to the frames already drawn (history is not fetched again); the backfill covers the time
 * since each frame's newest sample, so there is no gap at the hand-over.
 */
export class LiveFeed {
  private socket: WebSocket | undefined;
  private readonly frames = new Set<{ data: PanelData & { kind: 'frame' }; changed: () => void }>();
  private pending = new Set<() => void>();
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly onStatus: (status: string) => void,
  ) {}

  /** Adds a panel's frame; returns the function that removes it. */
  attach(data: PanelData & { kind: 'frame' }, changed: () => void): () => void {
    dropTrailingEdges(data.frame);
    const entry = { data, changed };
    this.frames.add(entry);
    this.resubscribe();
    return () => {
      this.frames.delete(entry);
    };
  }

  private resubscribeTimer: ReturnType<typeof setTimeout> | undefined;

  private resubscribe(): void {
    clearTimeout(this.resubscribeTimer);
    // Panels attach one after another as they load: one subscription for all of them.
    this.resubscribeTimer = setTimeout(() => this.subscribe(), 50);
  }

  private subscribe(): void {
    if (this.closed) return;
    const tags = new Set<string>();
    let oldest = Date.now();
    for (const { data } of this.frames)
      data.frame.tags.forEach((tag, s) => {
        tags.add(tag);
        const line = data.frame.lines[s]!;
        for (let i = line.length - 1; i >= 0; i -= 1)
          if (line[i] !== undefined && line[i] !== null) {
            oldest = Math.min(oldest, data.frame.times[i]! * 1000);
            break;
          }
      });
    if (tags.size === 0) return;
    const backfillSeconds = Math.min(3_600, Math.max(5, Math.ceil((Date.now() - oldest) / 1000) + 2));
    const message = JSON.stringify({ subscribe: [...tags].slice(0, 100), backfillSeconds });
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(message);
      return;
    }
    if (this.socket && this.socket.readyState === WebSocket.CONNECTING) return;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    this.onStatus('connecting');
    socket.onopen = () => {
      this.onStatus('live');
      this.subscribe();
    };
    socket.onmessage = (event) => this.receive(String(event.data));
    socket.onclose = () => {
      if (this.closed) return;
      this.onStatus('reconnecting');
      setTimeout(() => {
        this.socket = undefined;
        this.subscribe();
      }, 2_000);
    };
  }

  private receive(text: string): void {
    let message: {
      type: string;
      tag?: string;
      ts?: number[];
      values?: (number | string | null)[];
      series?: { tag: string; ts: number[]; values: (number | string | null)[] }[];
      message?: string;
    };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (message.type === 'error') this.onStatus(`live: ${message.message ?? 'error'}`);
    const batches =
      message.type === 'backfill'
        ? (message.series ?? [])
        : message.type === 'samples'
          ? [message as { tag: string; ts: number[]; values: (number | string | null)[] }]
          : [];
    for (const batch of batches)
      for (const entry of this.frames) {
        const bucketS = Math.max(entry.data.bucketMs, 500) / 1000;
        const taken = appendLive(entry.data.frame, batch.tag, batch.ts, batch.values, bucketS);
        if (taken > 0) this.pending.add(entry.changed);
      }
    if (!this.scheduled && this.pending.size > 0) {
      this.scheduled = true;
      requestAnimationFrame(() => {
        this.scheduled = false;
        const pending = this.pending;
        this.pending = new Set();
        for (const changed of pending) changed();
      });
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.resubscribeTimer);
    this.socket?.close();
  }
}

/** Removes rows the API added at the range's end for the edge (count 0): live samples replace them. */
export function dropTrailingEdges(frame: SeriesFrame): void {
  let end = frame.times.length;
  while (end > 0 && frame.counts.every((counts) => (counts[end - 1] ?? 0) === 0)) end -= 1;
  if (end === frame.times.length) return;
  frame.times.length = end;
  for (const columns of [frame.lines, frame.mins, frame.maxs, frame.counts])
    for (const column of columns) column.length = end;
}
