import type { SampleBatch } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';
import { cellWindow, FEATURES, type CellInspections, type FeatureConfig } from './features.js';
import { lowerBound, windowStatsInto, type SeriesReader } from './series.js';

interface CachedColumn {
  ts: number[];
  values: number[];
  /** Index of the first live sample: eviction moves it, and the arrays are compacted now and then. */
  head: number;
  /** Every sample of the tag at or after this time is held (see {@link WindowCache}). */
  heldFromUs: number;
}

/** Whether the cache can give a cell's machine windows. */
export type WindowCoverage =
  /** Every window is held from its start to its end: score from the cache. */
  | 'ready'
  /** Held from the start, but some tag has not reached the window's end yet: wait for the feed. */
  | 'pending'
  /** Some window starts before what the cache holds (a restart, a backlog): read the store. */
  | 'miss';

/**
 * The recent machine samples of live cells, fed from `plant.samples.v1`, so a fresh cell is scored without
 * a store read. It holds the same samples the stream processor writes to QuestDB `samples` (numbers, and
 * booleans as 0/1 as `libs/rows` writes them), so serving from it sees what training saw.
 *
 * What it can answer is explicit: per tag, `heldFromUs` is the time from which every sample is held. A
 * tag's batches come in order on one partition (the topic is keyed by tag), so that is the first sample
 * received, moved forward as old samples are evicted; {@link reset} forgets it when the feed may have a
 * gap (a rebalance). A window that starts earlier is a `miss` and the caller reads the store instead.
 * Eviction is by data time (`retentionUs` behind the tag's newest sample), never by the wall clock,
 * and keeps each tag's last sample, so a setpoint that rarely changes still has its current value.
 */
export class WindowCache implements SeriesReader {
  private readonly columns = new Map<string, CachedColumn>();
  private waiters: (() => void)[] = [];

  constructor(private readonly retentionUs: number) {}

  /** Tags held. */
  get size(): number {
    return this.columns.size;
  }

  /**
   * Adds samples of one tag (a batch, in source order). Non-finite values are not held, as
   * `SeriesStore` does not hold them; a sample at a time already held replaces it (a re-delivery).
   */
  add(tag: string, ts: readonly number[], values: readonly number[]): void {
    if (ts.length === 0) return;
    let column = this.columns.get(tag);
    if (!column) {
      column = { ts: [], values: [], head: 0, heldFromUs: ts[0]! };
      this.columns.set(tag, column);
    }
    for (let index = 0; index < ts.length; index += 1) {
      const time = ts[index]!;
      const value = values[index];
      if (value === undefined || !Number.isFinite(value)) continue;
      insert(column, time, value);
    }
    this.evict(column);
    this.wake();
  }

  /** Adds one decoded `plant.samples.v1` batch; text values are not features and are skipped. */
  addBatch(batch: SampleBatch): void {
    const [first] = batch.values;
    if (typeof first === 'number') this.add(batch.tag, batch.ts, batch.values as readonly number[]);
    else if (typeof first === 'boolean')
      this.add(
        batch.tag,
        batch.ts,
        (batch.values as readonly boolean[]).map((value) => (value ? 1 : 0)),
      );
  }

  /** Forgets everything: after a gap in the feed nothing held can be trusted to be complete. */
  reset(): void {
    this.columns.clear();
    this.wake();
  }

  /** The time from which every sample of `tag` is held, or undefined when the tag is not held. */
  heldFrom(tag: string): EpochUs | undefined {
    return this.columns.get(tag)?.heldFromUs as EpochUs | undefined;
  }

  /** Whether the cache holds `cell`'s machine windows (see {@link WindowCoverage}). */
  coverage(config: FeatureConfig, cell: CellInspections): WindowCoverage {
    const { fromUs, needs } = cellWindow(config, cell);
    let pending = false;
    for (const { tag, untilUs } of needs) {
      const column = this.columns.get(tag);
      if (!column || column.heldFromUs > fromUs) return 'miss';
      const newest = column.ts.length > column.head ? column.ts[column.ts.length - 1]! : -Infinity;
      if (newest < untilUs) pending = true;
    }
    return pending ? 'pending' : 'ready';
  }

  /** Resolves at the next `add` or `reset`, or after `timeoutMs`: how a pending cell waits for its samples. */
  nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        resolve();
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
  }

  newest(tag: string): EpochUs | undefined {
    const column = this.columns.get(tag);
    if (!column || column.ts.length === column.head) return undefined;
    return column.ts[column.ts.length - 1] as EpochUs;
  }

  windowInto(tag: string, fromUs: number, toUs: number, out: Float64Array, offset: number): void {
    const column = this.columns.get(tag);
    if (!column) {
      windowStatsInto([], [], 0, toUs, out, offset);
      return;
    }
    const start = Math.max(column.head, lowerBound(column.ts, fromUs, column.head));
    windowStatsInto(column.ts, column.values, start, toUs, out, offset);
  }

  valueAt(tag: string, atUs: number): number | undefined {
    const column = this.columns.get(tag);
    if (!column) return undefined;
    const index = lowerBound(column.ts, atUs + 1, column.head) - 1;
    return index >= column.head ? column.values[index] : undefined;
  }

  private evict(column: CachedColumn): void {
    if (column.ts.length === column.head) return;
    const newest = column.ts[column.ts.length - 1]!;
    const boundary = newest - this.retentionUs;
    // Keep the last sample whatever its age: it is the tag's current value.
    const keepFrom = Math.min(lowerBound(column.ts, boundary, column.head), column.ts.length - 1);
    if (keepFrom > column.head) {
      column.head = keepFrom;
      column.heldFromUs = Math.max(column.heldFromUs, boundary);
    }
    // Compact once the dead prefix is the larger part: amortised O(1) per sample.
    if (column.head > 1_024 && column.head * 2 > column.ts.length) {
      column.ts = column.ts.slice(column.head);
      column.values = column.values.slice(column.head);
      column.head = 0;
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

function insert(column: CachedColumn, time: number, value: number): void {
  const { ts, values } = column;
  const last = ts[ts.length - 1];
  if (last === undefined || time > last) {
    ts.push(time);
    values.push(value);
    return;
  }
  // Out of order or a re-delivery: rare, so a splice is fine.
  const at = lowerBound(ts, time, column.head);
  if (ts[at] === time) values[at] = value;
  else {
    ts.splice(at, 0, time);
    values.splice(at, 0, value);
  }
}

/**
 * Which `plant.samples.v1` keys (tag paths) the cache needs: the machine signals of the features, of any
 * line, plus `extra` signals (the feedback rules' setpoints). Checked on the message key, so every other
 * batch of the plant is skipped without being decoded.
 */
export function windowTagFilter(
  config: FeatureConfig,
  extra: readonly { machine: string; signal: string }[] = [],
): (tag: string) => boolean {
  const prefix = `${config.tagPrefix}/`;
  const suffixes = new Set<string>(extra.map(({ machine, signal }) => `${machine}/${signal}`));
  for (const { source } of FEATURES)
    if (source.kind === 'window') suffixes.add(`${source.of.machine}/${source.of.signal}`);
  return (tag) => {
    if (!tag.startsWith(prefix)) return false;
    // `<prefix>/<line>/<machine>/<signal>`: the line is one level.
    const lineEnd = tag.indexOf('/', prefix.length);
    return lineEnd > prefix.length && suffixes.has(tag.slice(lineEnd + 1));
  };
}
