import { ALL_FROM, pan, REFRESH_MS, zoomOut, type RefreshInterval } from '@millrace/dashboards';
import { resolveTimeRange } from '@millrace/timerange';
import { epochMs } from '@millrace/time';

export interface Resolved {
  readonly from: number;
  readonly to: number;
}

/** Resolves a raw range at one `now`; `from=all` starts at the first sample of the shown tags. */
export function resolveRaw(
  raw: { from: string; to: string },
  now: number,
  zone: string,
  allFrom: number | undefined,
): Resolved | { error: string } {
  try {
    const from = raw.from === ALL_FROM ? String(Math.floor(allFrom ?? now - 365 * 86_400_000)) : raw.from;
    const range = resolveTimeRange({ from, to: raw.to }, { now: epochMs(now), zone });
    return { from: range.from, to: range.to };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * A dashboard's clock: `queryRange` is what panels fetch (it changes on a range change, a refresh tick
 * or a manual refresh), `viewRange` what charts show (in live mode it slides every second over data
 * the live feed appends, without a fetch). Zoom history backs Ctrl+Z.
 */
export class TimeState {
  raw = $state({ from: 'now-6h', to: 'now' });
  zone = $state('UTC');
  allFrom = $state<number | undefined>(undefined);
  live = $state(false);
  refresh = $state<RefreshInterval>('off');
  /** Bumped by refresh ticks and the refresh button: panels refetch. */
  generation = $state(0);
  /** Bumped every few seconds in live mode: panels without a live feed (tables, health) refetch. */
  liveTick = $state(0);
  now = $state(Date.now());
  /** The instant `queryRange` was resolved at (one `now` per refresh). */
  queryNow = $state(Date.now());
  private readonly zoomStack: { from: string; to: string }[] = [];

  queryRange = $derived(resolveRaw(this.raw, this.queryNow, this.zone, this.allFrom));
  viewRange = $derived.by(() => {
    const range = this.queryRange;
    if (!this.live || 'error' in range) return range;
    const span = range.to - range.from;
    return { from: this.now - span, to: this.now };
  });

  reload(): void {
    this.queryNow = Date.now();
    this.now = this.queryNow;
    this.generation += 1;
  }

  /** Sets an absolute range from a drag on a chart; the previous one goes on the zoom stack. */
  zoomTo(from: number, to: number): { from: string; to: string } {
    this.zoomStack.push({ ...this.raw });
    return { from: String(Math.round(from)), to: String(Math.round(to)) };
  }

  /** Ctrl+Z: back to the range before the last zoom, or twice the span when there is none. */
  zoomBack(): { from: string; to: string } | undefined {
    const previous = this.zoomStack.pop();
    if (previous) return previous;
    const range = this.queryRange;
    if ('error' in range) return undefined;
    const next = zoomOut(range.from, range.to, Date.now());
    return { from: String(next.from), to: String(next.to) };
  }

  pan(fraction: number): { from: string; to: string } | undefined {
    const range = this.queryRange;
    if ('error' in range) return undefined;
    const next = pan(range.from, range.to, fraction, Date.now());
    return { from: String(next.from), to: String(next.to) };
  }

  refreshMs = $derived(REFRESH_MS[this.refresh]);
}
