/** A quick range as the picker lists it; `raw` is what goes into the URL and the time state. */
export interface QuickRange {
  readonly label: string;
  readonly raw: { readonly from: string; readonly to: string };
}

/** `from=all`: from the first sample of the shown tags (the app resolves it from the tag catalog). */
export const ALL_FROM = 'all';

export const QUICK_RANGES: readonly QuickRange[] = [
  { label: 'Last 5 minutes', raw: { from: 'now-5m', to: 'now' } },
  { label: 'Last 15 minutes', raw: { from: 'now-15m', to: 'now' } },
  { label: 'Last 1 hour', raw: { from: 'now-1h', to: 'now' } },
  { label: 'Last 6 hours', raw: { from: 'now-6h', to: 'now' } },
  { label: 'Last 24 hours', raw: { from: 'now-24h', to: 'now' } },
  { label: 'Last 7 days', raw: { from: 'now-7d', to: 'now' } },
  { label: 'Last 30 days', raw: { from: 'now-30d', to: 'now' } },
  { label: 'Last 1 month', raw: { from: 'now-1M', to: 'now' } },
  { label: 'Last 6 months', raw: { from: 'now-6M', to: 'now' } },
  { label: 'Last 1 year', raw: { from: 'now-1y', to: 'now' } },
  { label: 'All data', raw: { from: ALL_FROM, to: 'now' } },
  { label: 'Today so far', raw: { from: 'now/d', to: 'now' } },
  { label: 'Yesterday', raw: { from: 'now-1d/d', to: 'now-1d/d' } },
];

/** The picker's button text: a quick range's label, or the raw ends as written. */
export function describeRange(raw: { readonly from: string; readonly to: string }): string {
  const quick = QUICK_RANGES.find((range) => range.raw.from === raw.from && range.raw.to === raw.to);
  return quick ? quick.label : `${raw.from} to ${raw.to}`;
}

/** Whether a range moves with the clock (auto-refresh and live make sense only then). */
export const isRelative = (raw: { readonly to: string }): boolean => raw.to.trim().startsWith('now');

/**
 * Zoom out as Grafana does: the same centre, twice the span. `now`-anchored ranges stay anchored if the
 * new end would be in the future.
 */
export function zoomOut(from: number, to: number, now: number): { from: number; to: number } {
  const span = to - from;
  const centre = from + span / 2;
  let next = { from: centre - span, to: centre + span };
  if (next.to > now) next = { from: now - 2 * span, to: now };
  return { from: Math.round(next.from), to: Math.round(next.to) };
}

/** Pan by a fraction of the span (negative: back in time), never past `now`. */
export function pan(from: number, to: number, fraction: number, now: number): { from: number; to: number } {
  const span = to - from;
  let shift = Math.round(span * fraction);
  if (to + shift > now) shift = now - to;
  return { from: from + shift, to: to + shift };
}
