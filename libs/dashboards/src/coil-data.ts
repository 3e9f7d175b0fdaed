import type { SeriesFrame } from './frame.js';
import type { CoilDataKind, Column } from './schema.js';

type Cell = string | number | null;
/** A row of `/api/coil-data` (long format): one named value of a coil, at an MP and segment or a stand. */
export type CoilDataRow = Readonly<Record<string, Cell>>;

/** Values by category (stands, variables) for a grouped bar chart: one bar per series in each group. */
export interface CategoryGroups {
  readonly categories: string[];
  readonly series: { readonly label: string; readonly values: (number | null)[] }[];
}

const text = (value: Cell | undefined): string =>
  value === null || value === undefined ? '' : String(value);
const num = (value: Cell | undefined): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;
const natural = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

/**
 * The line a row belongs to on a chart over time: the variable at its MP (segment data, "LenSeg at MP03",
 * as the seed's monitor names them), at its stand (setup data), or the variable alone (coiler, strip).
 */
export function coilDataSeriesName(kind: CoilDataKind, row: CoilDataRow): string {
  const variable = text(row.variable);
  if (kind === 'segment') return `${variable} at ${text(row.mp)}`;
  if (kind === 'setup') return `${variable} stand ${text(row.stand)}`;
  return variable;
}

/**
 * Coil-file rows as a frame for the time-series panel: x is each row's time, one line per series name
 * (sorted naturally, so MP00 … MP10 keep their order). Every row is one exact value, so the band is the
 * line itself and the count is 1.
 */
export function coilDataFrame(kind: CoilDataKind, rows: readonly CoilDataRow[]): SeriesFrame {
  const points = rows.flatMap((row) => {
    const t = typeof row.ts === 'string' ? Date.parse(row.ts) : NaN;
    return Number.isFinite(t)
      ? [{ t: t / 1000, name: coilDataSeriesName(kind, row), value: num(row.value) }]
      : [];
  });
  const tags = [...new Set(points.map((point) => point.name))].sort(natural);
  const times = [...new Set(points.map((point) => point.t))].sort((a, b) => a - b);
  const rowOf = new Map(times.map((t, i) => [t, i]));
  const columnOf = new Map(tags.map((tag, i) => [tag, i]));
  const lines = tags.map(() => new Array<number | null | undefined>(times.length).fill(undefined));
  const counts = tags.map(() => new Array<number>(times.length).fill(0));
  for (const point of points) {
    const s = columnOf.get(point.name)!;
    const i = rowOf.get(point.t)!;
    lines[s]![i] = point.value;
    counts[s]![i] = 1;
  }
  return {
    tags,
    times,
    lines,
    mins: lines.map((line) => line.slice()),
    maxs: lines.map((line) => line.slice()),
    counts,
  };
}

/**
 * Coil-file rows as a table a plant engineer reads: segment data one row per coil and segment with a
 * column per MP; setup data one row per coil and stand with a column per variable (in the order asked);
 * coiler and strip data one row per coil and time with a column per variable.
 */
export function pivotCoilData(
  kind: CoilDataKind,
  rows: readonly CoilDataRow[],
  variables: readonly string[],
): { rows: Record<string, Cell>[]; columns: Column[] } {
  const coils = new Set(rows.map((row) => text(row.coil_id)));
  const names = [...new Set(rows.map((row) => text(row.variable)))];
  // Segment lengths to the millimetre; setup values (gaps, crowns, forces) to two places.
  const valueColumn = (key: string): Column => ({
    key,
    label: key,
    format: 'number',
    decimals: kind === 'segment' ? 3 : 2,
  });
  const keyOf = (row: CoilDataRow) =>
    kind === 'segment'
      ? [row.coil_id, row.segment, row.variable]
      : kind === 'setup'
        ? [row.coil_id, row.stand]
        : [row.coil_id, row.ts];
  const byKey = new Map<string, Record<string, Cell>>();
  let pivotKeys: string[];
  if (kind === 'segment') pivotKeys = [...new Set(rows.map((row) => text(row.mp)))].sort(natural);
  else
    pivotKeys = [
      ...variables.filter((v) => names.includes(v)),
      ...names.filter((v) => !variables.includes(v)),
    ];
  for (const row of rows) {
    const key = JSON.stringify(keyOf(row));
    let out = byKey.get(key);
    if (!out) {
      out = { coil_id: row.coil_id ?? null, ts: row.ts ?? null };
      if (kind === 'segment')
        Object.assign(out, { segment: row.segment ?? null, variable: row.variable ?? null });
      if (kind === 'setup') out.stand = row.stand ?? null;
      for (const pivot of pivotKeys) out[pivot] = null;
      byKey.set(key, out);
    }
    // A segment reaches the MPs one after another: its time is when it passed the first of them.
    if (typeof row.ts === 'string' && typeof out.ts === 'string' && row.ts < out.ts) out.ts = row.ts;
    out[kind === 'segment' ? text(row.mp) : text(row.variable)] = num(row.value);
  }
  // Coils in the order they started, a coil's segments (or stands) together in their order.
  const out = [...byKey.values()];
  const first = new Map<string, string>();
  for (const row of out) {
    const coil = text(row.coil_id);
    if (!first.has(coil) || text(row.ts) < first.get(coil)!) first.set(coil, text(row.ts));
  }
  out.sort(
    (a, b) =>
      first.get(text(a.coil_id))!.localeCompare(first.get(text(b.coil_id))!) ||
      natural(text(a.coil_id), text(b.coil_id)) ||
      Number(a.segment ?? a.stand ?? 0) - Number(b.segment ?? b.stand ?? 0) ||
      natural(text(a.variable), text(b.variable)) ||
      text(a.ts).localeCompare(text(b.ts)),
  );
  const columns: Column[] = [];
  if (coils.size > 1 || kind === 'coiler' || kind === 'strip')
    columns.push({ key: 'coil_id', label: 'Coil', format: 'text' });
  if (kind === 'segment') {
    columns.push({ key: 'segment', label: 'Segment', format: 'number', decimals: 0 });
    if (names.length > 1) columns.push({ key: 'variable', label: 'Variable', format: 'text' });
    columns.push({ key: 'ts', label: 'Time', format: 'time' });
  } else if (kind === 'setup') columns.push({ key: 'stand', label: 'Stand', format: 'number', decimals: 0 });
  else columns.push({ key: 'ts', label: 'Time', format: 'time' });
  columns.push(...pivotKeys.map(valueColumn));
  return { rows: out, columns };
}

/**
 * Setup values per stand as grouped bars (a group per stand, a bar per variable, in the order asked);
 * other kinds one group per variable with its last value.
 */
export function coilDataGroups(
  kind: CoilDataKind,
  rows: readonly CoilDataRow[],
  variables: readonly string[],
): CategoryGroups {
  const names = [...new Set(rows.map((row) => text(row.variable)))];
  const ordered = [
    ...variables.filter((v) => names.includes(v)),
    ...names.filter((v) => !variables.includes(v)),
  ];
  if (kind === 'setup') {
    const stands = [
      ...new Set(rows.map((row) => num(row.stand)).filter((s): s is number => s !== null)),
    ].sort((a, b) => a - b);
    return {
      categories: stands.map((stand) => `Stand ${stand}`),
      series: ordered.map((variable) => ({
        label: variable,
        values: stands.map(
          (stand) => num(rows.find((row) => row.stand === stand && row.variable === variable)?.value) ?? null,
        ),
      })),
    };
  }
  const last = new Map<string, number | null>();
  const sorted = [...rows].sort((a, b) => text(a.ts).localeCompare(text(b.ts)));
  for (const row of sorted)
    last.set(kind === 'segment' ? coilDataSeriesName(kind, row) : text(row.variable), num(row.value));
  const categories = [...last.keys()].sort(natural);
  return { categories, series: [{ label: 'last', values: categories.map((c) => last.get(c) ?? null) }] };
}

/** The coil of the newest row: what a per-coil panel shows when no coil is selected. */
export function newestCoil(rows: readonly CoilDataRow[]): string | undefined {
  let best: CoilDataRow | undefined;
  for (const row of rows) if (typeof row.ts === 'string' && (!best || row.ts > text(best.ts))) best = row;
  return best && typeof best.coil_id === 'string' ? best.coil_id : undefined;
}
