import { REFRESH_INTERVALS, type RefreshInterval } from './schema.js';

export const ZONE_CHOICES = ['plant', 'browser', 'utc'] as const;
export type ZoneChoice = (typeof ZONE_CHOICES)[number];

/**
 * Everything a link must reproduce: which page, the raw range (not its instants: a shared `now-6h` stays
 * relative), zone, refresh, live, tab and variable selections. Defaults are left out of the URL.
 */
export interface ViewState {
  readonly page:
    | { readonly kind: 'list' }
    | { readonly kind: 'dashboard'; readonly id: string }
    | { readonly kind: 'new' };
  readonly from?: string;
  readonly to?: string;
  readonly zone: ZoneChoice;
  readonly refresh?: RefreshInterval;
  readonly live: boolean;
  readonly tab?: string;
  readonly search?: string;
  /** Panel id being edited. */
  readonly edit?: string;
  readonly selections: Readonly<Record<string, readonly string[]>>;
}

const VAR_PREFIX = 'var-';

/** Builds `path?query` for a view; parameters in a fixed order so equal views give equal URLs. */
export function encodeViewState(state: ViewState): string {
  const path =
    state.page.kind === 'dashboard'
      ? `/d/${encodeURIComponent(state.page.id)}`
      : state.page.kind === 'new'
        ? '/new'
        : '/';
  const params = new URLSearchParams();
  if (state.page.kind === 'list') {
    if (state.search) params.set('search', state.search);
  } else {
    if (state.from !== undefined) params.set('from', state.from);
    if (state.to !== undefined) params.set('to', state.to);
    if (state.zone !== 'plant') params.set('tz', state.zone);
    if (state.refresh !== undefined) params.set('refresh', state.refresh);
    if (state.live) params.set('live', '1');
    if (state.tab !== undefined) params.set('tab', state.tab);
    if (state.edit !== undefined) params.set('edit', state.edit);
    for (const name of Object.keys(state.selections).sort())
      for (const value of state.selections[name] ?? []) params.append(`${VAR_PREFIX}${name}`, value);
  }
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

/** Reads a view from `pathname` and `search`; unknown or malformed parts fall back to defaults, never throw. */
export function decodeViewState(pathname: string, search: string): ViewState {
  const params = new URLSearchParams(search);
  const match = /^\/d\/([^/]+)\/?$/.exec(pathname);
  const page: ViewState['page'] = match
    ? { kind: 'dashboard', id: decodeURIComponent(match[1]!) }
    : pathname === '/new'
      ? { kind: 'new' }
      : { kind: 'list' };
  const zone = params.get('tz');
  const refresh = params.get('refresh');
  const selections: Record<string, string[]> = {};
  for (const [key, value] of params) {
    if (!key.startsWith(VAR_PREFIX)) continue;
    (selections[key.slice(VAR_PREFIX.length)] ??= []).push(value);
  }
  return {
    page,
    ...(params.get('from') ? { from: params.get('from')! } : {}),
    ...(params.get('to') ? { to: params.get('to')! } : {}),
    zone: (ZONE_CHOICES as readonly string[]).includes(zone ?? '') ? (zone as ZoneChoice) : 'plant',
    ...((REFRESH_INTERVALS as readonly string[]).includes(refresh ?? '')
      ? { refresh: refresh as RefreshInterval }
      : {}),
    live: params.get('live') === '1',
    ...(params.get('tab') ? { tab: params.get('tab')! } : {}),
    ...(params.get('search') ? { search: params.get('search')! } : {}),
    ...(params.get('edit') ? { edit: params.get('edit')! } : {}),
    selections,
  };
}
