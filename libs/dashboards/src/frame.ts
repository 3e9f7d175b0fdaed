/**
 * The one currency between the API and a time-series panel: aligned columns, x first (epoch seconds,
 * uPlot's unit), then per tag the M4 `last` line and the `min` / `max` band. `null` is a break in a line
 * (the API's gap rule); `undefined` is "no point here" (a live row another tag filled), which uPlot joins.
 */
export interface SeriesFrame {
  readonly tags: string[];
  times: number[];
  lines: (number | null | undefined)[][];
  mins: (number | null | undefined)[][];
  maxs: (number | null | undefined)[][];
  counts: number[][];
}

export interface M4Answer {
  readonly tag: string;
  readonly times: readonly number[];
  readonly min: readonly (number | null)[];
  readonly max: readonly (number | null)[];
  readonly last: readonly (number | null)[];
  readonly count: readonly number[];
}

/** Joins per-tag M4 columns onto one x axis (sorted union of their times). */
export function frameFromM4(tags: readonly string[], answers: readonly M4Answer[]): SeriesFrame {
  const byTag = new Map(answers.map((answer) => [answer.tag, answer]));
  const xs = new Set<number>();
  for (const answer of answers) for (const t of answer.times) xs.add(t);
  const times = [...xs].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const frame: SeriesFrame = { tags: [...tags], times, lines: [], mins: [], maxs: [], counts: [] };
  for (const tag of tags) {
    const line = new Array<number | null | undefined>(times.length).fill(undefined);
    const min = line.slice();
    const max = line.slice();
    const count = new Array<number>(times.length).fill(0);
    const answer = byTag.get(tag);
    answer?.times.forEach((t, i) => {
      const row = index.get(t)!;
      line[row] = answer.last[i] ?? null;
      min[row] = answer.min[i] ?? null;
      max[row] = answer.max[i] ?? null;
      count[row] = answer.count[i] ?? 0;
    });
    frame.lines.push(line);
    frame.mins.push(min);
    frame.maxs.push(max);
    frame.counts.push(count);
  }
  return frame;
}

/**
 * Appends live samples (epoch ms) of one tag to a frame in place, so the history already drawn stays and
 * only new rows are added: samples at or before the tag's newest point are dropped (the hub already
 * de-duplicates; this guards a reconnect), and a sample lands in the last row when it falls in the same
 * `bucketS` slot, so tags sampled on one clock share rows. Returns the number of samples taken.
 */
export function appendLive(
  frame: SeriesFrame,
  tag: string,
  tsMs: readonly number[],
  values: readonly (number | string | null)[],
  bucketS: number,
): number {
  const series = frame.tags.indexOf(tag);
  if (series < 0) return 0;
  const line = frame.lines[series]!;
  let newest = -Infinity;
  for (let i = line.length - 1; i >= 0; i -= 1)
    if (line[i] !== undefined) {
      newest = frame.times[i]!;
      break;
    }
  let taken = 0;
  for (let i = 0; i < tsMs.length; i += 1) {
    const value = values[i];
    if (typeof value !== 'number' && value !== null) continue; // a string sample has no place on a line
    const t = tsMs[i]! / 1000;
    if (t <= newest) continue;
    newest = t;
    const slot = Math.floor(t / bucketS);
    // Rows are sorted by time; a sample usually lands at the end, after a late tag in a slot other tags opened.
    let at = frame.times.length;
    while (at > 0 && frame.times[at - 1]! > t) at -= 1;
    let row = -1;
    for (const candidate of [at - 1, at])
      if (
        candidate >= 0 &&
        candidate < frame.times.length &&
        Math.floor(frame.times[candidate]! / bucketS) === slot &&
        frame.lines[series]![candidate] === undefined
      )
        row = candidate;
    if (row < 0) {
      row = at;
      frame.times.splice(row, 0, t);
      for (let s = 0; s < frame.tags.length; s += 1) {
        frame.lines[s]!.splice(row, 0, undefined);
        frame.mins[s]!.splice(row, 0, undefined);
        frame.maxs[s]!.splice(row, 0, undefined);
        frame.counts[s]!.splice(row, 0, 0);
      }
    }
    frame.lines[series]![row] = value;
    frame.mins[series]![row] = value;
    frame.maxs[series]![row] = value;
    frame.counts[series]![row] = 1;
    taken += 1;
  }
  return taken;
}

/** Drops rows before `fromS` (live scrolling), keeping one row before it so the line enters from the edge. */
export function trimBefore(frame: SeriesFrame, fromS: number): void {
  let cut = 0;
  while (cut + 1 < frame.times.length && frame.times[cut + 1]! < fromS) cut += 1;
  if (cut === 0) return;
  frame.times.splice(0, cut);
  for (const columns of [frame.lines, frame.mins, frame.maxs, frame.counts])
    for (const column of columns) column.splice(0, cut);
}

export interface LegendStats {
  readonly last: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly avg: number | null;
}

/**
 * Legend figures of one series over `[fromS, toS]`: min of the band's minima, max of its maxima, the
 * count-weighted mean of bucket averages (M4's `last` stands in where no average is known) and the last value.
 */
export function legendStats(
  frame: SeriesFrame,
  series: number,
  fromS: number,
  toS: number,
  avgs?: readonly (number | null | undefined)[],
): LegendStats {
  const line = frame.lines[series] ?? [];
  const mins = frame.mins[series] ?? [];
  const maxs = frame.maxs[series] ?? [];
  const counts = frame.counts[series] ?? [];
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let weight = 0;
  let last: number | null = null;
  for (let i = 0; i < frame.times.length; i += 1) {
    const t = frame.times[i]!;
    if (t < fromS || t > toS) continue;
    const value = line[i];
    if (value === null || value === undefined) continue;
    last = value;
    min = Math.min(min, mins[i] ?? value);
    max = Math.max(max, maxs[i] ?? value);
    const n = Math.max(counts[i] ?? 1, 1);
    sum += (avgs?.[i] ?? value) * n;
    weight += n;
  }
  return weight === 0
    ? { last: null, min: null, max: null, avg: null }
    : { last, min, max, avg: sum / weight };
}

/** One state held from `from` to `to` (epoch ms), for a state timeline. */
export interface StateSegment {
  readonly state: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Turns samples of a string tag into segments, merging repeats; the last one lasts until `until`. A
 * silence longer than `maxGapMs` ends the segment one sample period after its last sample: a state is
 * not shown as held through an outage nobody observed.
 */
export function stateSegments(
  tsMs: readonly number[],
  states: readonly (string | null)[],
  until: number,
  maxGapMs = 60_000,
): StateSegment[] {
  const segments: StateSegment[] = [];
  let current: { state: string; from: number } | undefined;
  let previous = -Infinity;
  for (let i = 0; i < tsMs.length; i += 1) {
    const t = tsMs[i]!;
    const state = states[i] ?? 'unknown';
    const silent = t - previous > maxGapMs;
    if (current && silent) {
      segments.push({ ...current, to: previous + Math.min(maxGapMs, 1_000) });
      current = undefined;
    }
    previous = t;
    if (current?.state === state) continue;
    if (current) segments.push({ ...current, to: t });
    current = { state, from: t };
  }
  if (current)
    segments.push({
      ...current,
      to: until - previous > maxGapMs ? previous + 1_000 : Math.max(until, current.from),
    });
  return segments;
}

/** RFC 4180 CSV: a field with a comma, quote or line break is quoted, quotes doubled; lines end with CRLF. */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null | undefined)[])[],
): string {
  const field = (value: string | number | null | undefined) => {
    if (value === null || value === undefined) return '';
    const text = String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [header, ...rows].map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

/** A frame as CSV rows: time (ISO, UTC) then one column per tag (the line's value), empty where none. */
export function frameToCsv(frame: SeriesFrame): string {
  const rows = frame.times.map((t, i) => [
    new Date(Math.round(t * 1000)).toISOString(),
    ...frame.lines.map((line) => line[i]),
  ]);
  return toCsv(['time', ...frame.tags], rows);
}
