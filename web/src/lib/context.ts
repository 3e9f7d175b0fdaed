import { getContext, setContext } from 'svelte';
import type { Production } from './api.js';
import type { LiveFeed, PanelCache } from './data.js';
import type { AppState } from './state/app.svelte.js';
import type { TimeState } from './state/time.svelte.js';

/** Context keys; exported for component tests, which pass contexts to `render`. */
export const APP = Symbol('app');
export const DASHBOARD = Symbol('dashboard');

export const setAppContext = (app: AppState) => setContext(APP, app);
export const getAppContext = () => getContext<AppState>(APP);

/** What every panel of the open dashboard shares. */
export interface DashboardContext {
  readonly time: TimeState;
  readonly cache: PanelCache;
  readonly live: () => LiveFeed | undefined;
  readonly selections: () => Readonly<Record<string, readonly string[]>>;
  readonly knownTags: () => ReadonlySet<string> | undefined;
  readonly zoom: (from: number, to: number) => void;
  readonly selectCoil: (coil: string, from: number, to: number) => void;
  /** Selects an order or cell (or a coil): the range becomes its time in production, as the API resolves it. */
  readonly selectProduction: (production: Production) => void;
  /** The unit series panels ask for instead of from/to, while the range is still its span. */
  readonly production: () => Production | undefined;
  readonly events: () => { ts: number; kind: string; title: string; text: string }[];
  readonly annotate: (timeMs: number) => void;
  readonly registerPerf: (id: string, mark: { answeredAt?: number; drawnAt?: number }) => void;
  /** A panel found the API unreachable (or reachable again). */
  readonly reportOffline: (id: string, down: boolean) => void;
}
export const setDashboardContext = (context: DashboardContext) => setContext(DASHBOARD, context);
export const getDashboardContext = () => getContext<DashboardContext>(DASHBOARD);
