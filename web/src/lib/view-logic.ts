import type { HealthAnswer, MesCommands, MesOrder, MesOutbox, Row, TimelineEvent } from './api.js';

/**
 * Risk events arrive from /api/events as timeline entries (`high risk: cell 98765-00001`, `p=0.912: retest`,
 * tags [order, model version]); the risk table wants them back as columns.
 */
export function eventRow(event: TimelineEvent): Row {
  const row: Row = {
    ts: event.ts,
    endTs: event.endTs ?? null,
    kind: event.kind,
    title: event.title,
    text: event.text,
    severity: event.severity ?? null,
    tags: (event.tags ?? []).join(', '),
  };
  if (event.kind === 'risk' && event.risk) {
    const risk = event.risk;
    row.riskClass = risk.riskClass;
    row.cell = risk.cellId;
    row.probability = risk.probability;
    row.recommendation = risk.recommendation;
    row.order = risk.orderId;
    row.modelVersion = risk.modelVersion;
    row.reasons = formatReasons(risk.reasons);
    row.unknownReason = risk.unknownReason ?? null;
  } else if (event.kind === 'risk') {
    // An older query-api sends the risk only as timeline text.
    const head = /^(\S+) risk: cell (.+)$/.exec(event.title);
    const body = /^p=([0-9.]+): (.*)$/.exec(event.text);
    row.riskClass = head?.[1] ?? null;
    row.cell = head?.[2] ?? null;
    row.probability = body ? Number(body[1]) : null;
    row.recommendation = body ? body[2]! : event.text;
    row.order = event.tags?.[0] ?? null;
    row.modelVersion = event.tags?.[1] ?? null;
    row.reasons = null;
    row.unknownReason = null;
  }
  if (event.kind === 'command') {
    const result = /\(([a-z]+)\)$/.exec(event.title);
    row.result = result?.[1] ?? 'sent';
  }
  return row;
}

/**
 * The features that pushed a cell's score most, strongest first, with the value the model saw and the
 * signed contribution to the log-odds: `vibration_rms 0.31 (+0.82), seal_pressure 4.1 (−0.20)`.
 */
export function formatReasons(
  reasons: readonly { feature: string; value: number | null; contribution: number }[],
  top = 3,
): string | null {
  if (reasons.length === 0) return null;
  return [...reasons]
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, top)
    .map(
      (reason) =>
        `${reason.feature} ${formatNumber(reason.value)} (${reason.contribution >= 0 ? '+' : '−'}${formatNumber(Math.abs(reason.contribution), 2)})`,
    )
    .join(', ');
}

/** The bridge's times are epoch microseconds; tables take ISO instants. */
const usIso = (us: number | undefined): string | null =>
  us === undefined ? null : new Date(Math.floor(us / 1000)).toISOString();

/** The MES order book as table rows: state and the time it entered each state. */
export function mesOrderRows(orders: readonly MesOrder[]): Row[] {
  return orders.map((order) => ({
    orderId: order.orderId,
    line: order.line,
    product: order.product,
    quantity: order.quantity,
    state: order.state,
    ts: usIso(order.ts),
    releasedAt: usIso(order.releasedAt),
    startedAt: usIso(order.startedAt),
    endedAt: usIso(order.endedAt),
  }));
}

/** The outbox to the MES as name/value rows: depth, dead letters, the item in delivery, then the dead letters. */
export function mesOutboxRows(outbox: MesOutbox): Row[] {
  const rows: Row[] = [
    { name: 'Waiting (depth)', value: outbox.depth },
    { name: 'Dead letters', value: outbox.deadLetters },
  ];
  const item = outbox.delivering;
  if (item) {
    rows.push({ name: 'Delivering', value: `${item.kind} ${item.id}, attempt ${item.attempts}` });
    if (item.lastError) rows.push({ name: 'Last error', value: item.lastError });
    if (item.nextAttemptAt) rows.push({ name: 'Next attempt', value: item.nextAttemptAt });
  } else rows.push({ name: 'Delivering', value: outbox.depth > 0 ? 'starting' : 'nothing (all delivered)' });
  for (const dead of outbox.oldestDeadLetters)
    rows.push({ name: 'Dead letter', value: describeDeadLetter(dead) });
  return rows;
}

function describeDeadLetter(item: unknown): string {
  if (item && typeof item === 'object') {
    const record = item as Record<string, unknown>;
    const parts = ['kind', 'id', 'reason', 'lastError', 'error']
      .filter((key) => typeof record[key] === 'string' || typeof record[key] === 'number')
      .map((key) => `${key}: ${String(record[key])}`);
    if (parts.length > 0) return parts.join(', ');
  }
  return JSON.stringify(item).slice(0, 300);
}

/** The command audit: one row per command with its latest outcome (the audit holds request and result rows). */
export function mesCommandRows(answer: MesCommands): Row[] {
  const byId = new Map<string, Row>();
  // Newest first: the first row seen of a command is its latest state.
  for (const row of answer.audit)
    if (!byId.has(row.commandId))
      byId.set(row.commandId, {
        ts: row.ts,
        commandId: row.commandId,
        target: `${row.machine} / ${row.setpoint}`,
        value: row.value,
        result: row.result,
        detail: row.detail,
        reason: row.reason,
        issuedBy: row.issuedBy,
        modelVersion: row.modelVersion,
      });
  // Results the bridge decided but QuestDB has not stored yet.
  for (const result of answer.recentResults) {
    const row = byId.get(result.commandId);
    if (row && (row.result === 'requested' || row.result === 'dry-run')) {
      row.result = result.result;
      row.detail = result.detail;
    } else if (!row)
      byId.set(result.commandId, {
        ts: usIso(result.ts),
        commandId: result.commandId,
        target: `${result.machine} / ${result.setpoint}`,
        value: result.appliedValue ?? null,
        result: result.result,
        detail: result.detail,
        reason: null,
        issuedBy: null,
        modelVersion: null,
      });
  }
  return [...byId.values()].sort((a, b) => String(b.ts).localeCompare(String(a.ts)));
}

/** The outcome of one command, once the bridge decided it (from its latest results or the audit). */
export function commandOutcome(
  answer: MesCommands,
  commandId: string,
): { result: 'accepted' | 'rejected' | 'failed'; detail: string } | undefined {
  const result = answer.recentResults.find((r) => r.commandId === commandId);
  if (result) return { result: result.result, detail: result.detail };
  const audited = answer.audit.find(
    (row) => row.commandId === commandId && ['accepted', 'rejected', 'failed'].includes(row.result),
  );
  return audited
    ? { result: audited.result as 'accepted' | 'rejected' | 'failed', detail: audited.detail ?? '' }
    : undefined;
}

const STALE_MS = 5 * 60_000;
/** A tag silent longer than this is taken as retired (a finished test, a removed sensor), not as dead. */
const RETIRED_MS = 7 * 86_400_000;
const RANK: Record<string, number> = { silent: 0, never: 1, ok: 2, retired: 3 };

/** Per-tag rows of the health table: silent ones first (most recently silent on top), retired ones last. */
export function healthRows(answer: HealthAnswer, now: number): Row[] {
  return answer.tags
    .map((tag) => {
      const silentMs = tag.lastSeen ? Math.max(0, now - Date.parse(tag.lastSeen)) : null;
      return {
        status:
          silentMs === null
            ? 'never'
            : silentMs > RETIRED_MS
              ? 'retired'
              : silentMs > STALE_MS
                ? 'silent'
                : 'ok',
        tag: tag.tag,
        source: tag.source,
        lastSeen: tag.lastSeen,
        silentMs,
        ingestLagMs: tag.ingestLagMs,
        // Per tag over the API's look-back (pipeline_tag_stats); null where it could not be read.
        lateSamples: tag.lateSamples ?? null,
        droppedSamples: tag.droppedSamples ?? null,
        deadLetters: tag.deadLetters ?? null,
      } satisfies Row;
    })
    .sort(
      (a, b) =>
        RANK[a.status]! - RANK[b.status]! ||
        (a.silentMs ?? 0) - (b.silentMs ?? 0) ||
        a.tag.localeCompare(b.tag),
    );
}

const sum = (counts: Record<string, number> | null | undefined) =>
  counts ? Object.values(counts).reduce((total, n) => total + n, 0) : null;

/** The figures of the health stats; null where the API could not measure (its `problems` say why). */
export function healthFigures(answer: HealthAnswer, now: number): Record<string, number | null> {
  return {
    staleTags: healthRows(answer, now).filter((row) => row.status === 'silent').length,
    consumerLag: sum(answer.pipeline.consumerLagByTopic),
    // A counter the processor has not incremented yet is absent from its /metrics: zero, not unknown.
    lateSamples: answer.pipeline.samples ? (answer.pipeline.samples.late ?? 0) : null,
    droppedSamples: answer.pipeline.samples ? (answer.pipeline.samples.too_late ?? 0) : null,
    deadLetters: answer.pipeline.deadLetterTopics
      ? answer.pipeline.deadLetterTopics.reduce((total, topic) => total + topic.messages, 0)
      : null,
    openGaps: answer.pipeline.openGaps.length,
  };
}

/** The pipeline table: one row per figure, problems last. */
export function pipelineRows(answer: HealthAnswer, now: number): Row[] {
  const figures = healthFigures(answer, now);
  const p = answer.pipeline;
  const rows: Row[] = [
    { name: 'Stream processor reachable', value: p.processorReachable ? 'yes' : 'NO' },
    {
      name: 'Source lag (s)',
      value: p.sourceLagSeconds === null ? null : Number(p.sourceLagSeconds.toFixed(1)),
    },
    {
      name: 'QuestDB write (avg s)',
      value: p.questdbWriteSecondsAvg === null ? null : Number(p.questdbWriteSecondsAvg.toFixed(3)),
    },
    { name: 'On-time samples', value: p.samples?.on_time ?? null },
    { name: 'Late samples', value: figures.lateSamples ?? null },
    { name: 'Too late (dropped)', value: figures.droppedSamples ?? null },
    ...Object.entries(p.consumerLagByTopic ?? {}).map(([topic, lag]) => ({
      name: `Consumer lag ${topic}`,
      value: lag,
    })),
    ...(p.deadLetterTopics ?? []).map((topic) => ({ name: `DLQ ${topic.topic}`, value: topic.messages })),
    ...p.openGaps.map((gap) => ({ name: `Outage ${gap.source}`, value: `since ${gap.since}` })),
    ...p.problems.map((problem) => ({ name: 'Problem', value: problem })),
  ];
  return rows;
}

/** Parses /api/export's CSV (ts,tag,value,value_text,quality) into time and state columns. */
export function parseExportCsv(text: string): { ts: number[]; states: (string | null)[] } {
  const ts: number[] = [];
  const states: (string | null)[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i]!.replace(/\r$/, '');
    if (!line) continue;
    const fields = splitCsvLine(line);
    ts.push(Date.parse(fields[0]!));
    states.push(fields[3] || (fields[2] ? fields[2] : null));
  }
  return { ts, states };
}

function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** Sorts rows by a column; nulls last whichever the direction; numbers numerically, text naturally. */
export function sortRows(rows: readonly Row[], key: string | undefined, dir: 'asc' | 'desc'): Row[] {
  if (!key) return [...rows];
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * sign;
    return String(x).localeCompare(String(y), undefined, { numeric: true }) * sign;
  });
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2026-11-22 20:15:03` in a zone: the plant supervisor's clock, not the browser's. */
export function formatTime(ms: number, zone: string, withSeconds = true): string {
  if (!Number.isFinite(ms)) return '';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(ms);
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  const date = `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
  return withSeconds ? `${date}:${get('second')}` : date;
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const s = ms / 1_000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3_600) return `${Math.floor(s / 60)} min ${pad(Math.floor(s % 60))} s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ${pad(Math.floor((s % 3_600) / 60))} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3_600)} h`;
}

export function formatNumber(value: number | null | undefined, decimals?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (decimals !== undefined)
    return value.toLocaleString('en-US', {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
  const abs = Math.abs(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: abs >= 1000 ? 0 : abs >= 10 ? 2 : 4 });
}

/** A short legend label: the caller's label, else the last two path segments. */
export const shortLabel = (tag: string, labels?: Readonly<Record<string, string>>): string =>
  labels?.[tag] ?? tag.split('/').slice(-2).join('/');
