import { z } from 'zod';
import { addressesShape } from '../addresses.js';
import { configField } from '../fields.js';

const DAY_MS = 86_400_000;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const queryApiConfigSchema = z.object({
  ...addressesShape,
  QUERY_API_PORT: configField.port(8080),
  /** IANA zone of the plant: `now-1d/d` and `interval=1d` buckets follow its midnights (23 h / 25 h on DST days). */
  MILLRACE_PLANT_TZ: configField.string('Europe/Berlin').refine(isTimeZone, 'must be an IANA time zone'),
  QUERY_API_MAX_CONNECTIONS: configField.integer(8, 1, 64),
  /** A query running longer is abandoned and answered with 504. */
  QUERY_API_STATEMENT_TIMEOUT_MS: configField.integer(10_000, 100),
  QUERY_API_MAX_TAGS: configField.integer(200, 1, 10_000),
  QUERY_API_MAX_WIDTH: configField.integer(10_000, 1, 100_000),
  /** Longest range a caller may force onto the raw table (`tier=raw`). */
  QUERY_API_MAX_RAW_RANGE_MS: configField.integer(DAY_MS, 1_000),
  /** Most buckets per tag for `agg` + `interval` queries. */
  QUERY_API_MAX_BUCKETS: configField.integer(100_000, 1),
  /** Gap rule for tags without `expected_period_ms` in the catalog; 0: never break their lines. */
  QUERY_API_DEFAULT_EXPECTED_PERIOD_MS: configField.integer(0, 0),
  /** A silence longer than expected period × this is a break; the margin absorbs clock jitter. */
  QUERY_API_GAP_FACTOR: z.coerce.number().min(1).max(1_000).default(1.5),
  /** How far before `from` (and after `to`) the edge samples are looked for. */
  QUERY_API_EDGE_LOOKAROUND_MS: configField.integer(30 * DAY_MS, 0),
  /** A series filtered by a cell starts this long before its assembly record: the machine window it was built in. */
  QUERY_API_CELL_LEAD_MS: configField.integer(60_000, 0),
  /** The catalog reads exact last values from raw over this window; older tags from the hourly rollup. */
  QUERY_API_LAST_VALUE_LOOKBACK_MS: configField.integer(7 * DAY_MS, 60_000),
  /** The catalog (last values and spans, for /api/tags and health) is cached this long. */
  QUERY_API_CATALOG_TTL_MS: configField.integer(2_000, 0),
  /** Series and export requests check their tags (and expected periods) against a catalog at most this old. */
  QUERY_API_LOOKUP_TTL_MS: configField.integer(60_000, 0),
  QUERY_API_MAX_RECORDS: configField.integer(10_000, 1, 1_000_000),
  /** Longest range one /api/events request may cover. */
  QUERY_API_MAX_EVENTS_RANGE_MS: configField.integer(366 * DAY_MS, 1_000),
  /** Most events per kind in one /api/events answer (the newest are kept). */
  QUERY_API_MAX_EVENTS: configField.integer(5_000, 1, 1_000_000),
  /** Most tags one live client may subscribe to. */
  QUERY_API_LIVE_MAX_TAGS: configField.integer(100, 1, 10_000),
  /** Longest history a live client may ask for before the stream starts. */
  QUERY_API_LIVE_MAX_BACKFILL_S: configField.integer(3_600, 0),
  /** A live client whose socket holds more unsent bytes than this loses samples (counted) until it drains. */
  QUERY_API_LIVE_MAX_BUFFERED_BYTES: configField.integer(1_048_576, 1_024), // 1 MiB
  /** A live client that keeps losing samples this long after its first drop is closed (code 1013). */
  QUERY_API_LIVE_SLOW_CLOSE_MS: configField.integer(30_000, 1_000),
  /** Rows per keyset page of /api/export: the most rows held in memory at once. */
  QUERY_API_EXPORT_PAGE_ROWS: configField.integer(10_000, 100, 1_000_000),
  /** Where the stream processor serves /metrics (lateness, dead letters, consumer lag, write time). */
  QUERY_API_STREAM_PROCESSOR_URL: configField.url('http://127.0.0.1:8090', ['http', 'https']),
  /** /api/health/tags finds last samples within this look-back; older tags show the catalog's last hour. */
  QUERY_API_HEALTH_LOOKBACK_MS: configField.integer(DAY_MS, 60_000),
  /** How long the health page waits for the processor's /metrics and Kafka's offsets. */
  QUERY_API_HEALTH_PROBE_TIMEOUT_MS: configField.integer(2_000, 100),
  /** Users' dashboards (one JSON file each); defaults to `<MILLRACE_DATA_DIR>/dashboards`. */
  QUERY_API_DASHBOARDS_DIR: z.string().min(1).optional(),
  /** Built-in, read-only dashboards; defaults to the repo's `libs/dashboards/builtin`. */
  QUERY_API_BUILTIN_DASHBOARDS_DIR: z.string().min(1).optional(),
  /** The built web app served at `/`; defaults to the repo's `web/dist`. */
  QUERY_API_WEB_DIST_DIR: z.string().min(1).optional(),
  /** Shift calendar of the time picker, JSON `{"shifts":[{"name":"Early","start":"06:00"},...]}` (plant time). */
  QUERY_API_SHIFT_CALENDAR: configField.json(),
});

export type QueryApiConfig = Readonly<z.infer<typeof queryApiConfigSchema>>;
