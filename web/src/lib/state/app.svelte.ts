import { decodeViewState, encodeViewState, type ViewState } from '@millrace/dashboards';
import { Api, tokenStore, type UiConfig } from '../api.js';

const THEME_KEY = 'millrace.theme';

/** The shell's state: the URL-held view (history entries), theme, API token and the server's UI config. */
export class AppState {
  view = $state<ViewState>(decodeViewState(location.pathname, location.search));
  theme = $state<'dark' | 'light'>(
    (localStorage.getItem(THEME_KEY) as 'dark' | 'light' | null) ??
      (matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark'),
  );
  token = $state(tokenStore.get());
  uiConfig = $state<UiConfig>({ plantTimeZone: 'UTC', shiftCalendar: { shifts: [] } });
  readonly api = new Api('', () => this.token);

  /** The IANA zone every time is shown in. */
  zone = $derived(
    this.view.zone === 'utc'
      ? 'UTC'
      : this.view.zone === 'browser'
        ? Intl.DateTimeFormat().resolvedOptions().timeZone
        : this.uiConfig.plantTimeZone,
  );

  constructor() {
    addEventListener('popstate', () => (this.view = decodeViewState(location.pathname, location.search)));
    $effect.root(() => {
      $effect(() => {
        document.documentElement.dataset.theme = this.theme;
        localStorage.setItem(THEME_KEY, this.theme);
      });
    });
    void this.api.uiConfig().then(
      (config) => (this.uiConfig = config),
      () => undefined, // the dashboards show the API error; UTC until it answers
    );
  }

  /** Moves to a view; a new history entry unless `replace` (live scrolling, typing in a search box). */
  navigate(view: ViewState, replace = false): void {
    this.view = view;
    const url = encodeViewState(view);
    if (url === location.pathname + location.search) return;
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
  }

  update(patch: Partial<ViewState>, replace = false): void {
    this.navigate({ ...this.view, ...patch }, replace);
  }

  setToken(token: string): void {
    this.token = token.trim();
    tokenStore.set(this.token);
  }
}
