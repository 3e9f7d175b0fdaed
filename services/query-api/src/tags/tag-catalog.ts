import type { QueryApiConfig } from '@millrace/config';
import type { QueryClient } from '@millrace/questdb';
import { TABLES, VIEWS } from '@millrace/schema';
import { epochUs, msToUs, usToIso, type EpochMs, type EpochUs } from '@millrace/time';
import type { TagEntry } from './tags.api.js';

interface MetaRow extends Record<string, unknown> {
  tag: string;
  source: string | null;
  value_type: string | null;
  unit: string | null;
  description: string | null;
  expected_period_ms: string | number | null;
}
interface SpanRow extends Record<string, unknown> {
  tag: string;
  first_ts: EpochUs;
  last_hour: EpochUs;
  last_value: number | null;
}
interface LastRow extends Record<string, unknown> {
  tag: string;
  ts: EpochUs;
  value: number | null;
  value_text: string | null;
  source: string | null;
}

interface RawSpanRow extends Record<string, unknown> {
  tag: string;
  first_ts: EpochUs;
  last_ts: EpochUs;
}

const emptyEntry = (tag: string): TagEntry => ({
  path: tag,
  unit: null,
  description: null,
  source: null,
  valueType: null,
  expectedPeriodMs: null,
  firstTs: null,
  lastTs: null,
  lastValue: null,
  lastText: null,
});

/**
 * The tag catalog: metadata from `tags` (latest row per tag), the time span from the hourly rollup
 * (a few thousand rows for years of data), and exact last values from raw over a short look-back
 * (LATEST ON scans backwards and stops once every tag is found). It is also the set of known tags
 * every series request is checked against, so a request never waits for a refresh: past the TTL the
 * cached catalog answers while one reload runs behind it. A tag it has not seen yet (just created, or
 * written into a past the rollups have not caught up with) is checked in raw before it is refused.
 */
export class TagCatalog {
  private cached: { at: number; entries: Map<string, TagEntry> } | undefined;
  private loading: Promise<Map<string, TagEntry>> | undefined;

  constructor(
    private readonly client: QueryClient,
    private readonly config: QueryApiConfig,
  ) {}

  /** Every tag; refreshed in the background once older than the TTL. `now` bounds the last-value look-back. */
  entries(now: EpochMs): Promise<Map<string, TagEntry>> {
    return this.noOlderThan(now, this.config.QUERY_API_CATALOG_TTL_MS);
  }

  private async noOlderThan(now: EpochMs, ttlMs: number): Promise<Map<string, TagEntry>> {
    if (!this.cached) return this.reload(now);
    if (now - this.cached.at > ttlMs) {
      // A failed background refresh keeps the previous catalog; the next request past the TTL tries again.
      this.reload(now).catch(() => undefined);
    }
    return this.cached.entries;
  }

  /**
   * Looks tags up; tags the catalog does not hold are looked for in raw samples before they count as
   * unknown. Checking a series request needs the tags and their expected periods, not their last
   * values: it reloads the catalog only past the longer lookup TTL, so a chart's requests do not set off
   * a reload (three scans in QuestDB) every few seconds beside them.
   */
  async lookup(
    tags: readonly string[],
    now: EpochMs,
  ): Promise<{ known: Map<string, TagEntry>; unknown: string[] }> {
    const entries = await this.noOlderThan(now, this.config.QUERY_API_LOOKUP_TTL_MS);
    const known = new Map<string, TagEntry>();
    const missing: string[] = [];
    for (const tag of tags) {
      const entry = entries.get(tag);
      if (entry) known.set(tag, entry);
      else missing.push(tag);
    }
    if (missing.length === 0) return { known, unknown: [] };
    const found = await this.findInRaw(missing);
    for (const entry of found) known.set(entry.path, entry);
    return { known, unknown: missing.filter((tag) => !known.has(tag)) };
  }

  /**
   * First and last sample of tags the catalog missed. A tag never written is not in the symbol table
   * and costs nothing; one that is gets a scan, once, until the next reload lists it.
   */
  private async findInRaw(tags: readonly string[]): Promise<TagEntry[]> {
    const rows = await this.client.query<RawSpanRow>(
      `SELECT tag, min(ts) AS first_ts, max(ts) AS last_ts FROM ${TABLES.samples.name} ` +
        `WHERE tag IN (${tags.map((_, i) => `$${i + 1}`).join(', ')}) GROUP BY tag`,
      tags,
    );
    return rows.map((row) => ({
      ...emptyEntry(row.tag),
      firstTs: usToIso(row.first_ts),
      lastTs: usToIso(row.last_ts),
    }));
  }

  private reload(now: EpochMs): Promise<Map<string, TagEntry>> {
    this.loading ??= this.load(now).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(now: EpochMs): Promise<Map<string, TagEntry>> {
    const lookbackStart = usToIso(
      epochUs(msToUs(now) - this.config.QUERY_API_LAST_VALUE_LOOKBACK_MS * 1_000),
    );
    const [meta, spans, lasts] = await Promise.all([
      this.client.query<MetaRow>(
        `SELECT tag, source, value_type, unit, description, expected_period_ms FROM ${TABLES.tags.name} ` +
          'LATEST ON ts PARTITION BY tag',
      ),
      this.client.query<SpanRow>(
        `SELECT tag, min(ts) AS first_ts, max(ts) AS last_hour, last(last) AS last_value FROM ${VIEWS.samples1h.name}`,
      ),
      this.client.query<LastRow>(
        `SELECT tag, ts, value, value_text, source FROM ${TABLES.samples.name} WHERE ts >= $1 ` +
          'LATEST ON ts PARTITION BY tag',
        [lookbackStart],
      ),
    ]);
    const entries = new Map<string, TagEntry>();
    const entry = (tag: string): TagEntry => {
      let found = entries.get(tag);
      if (!found) entries.set(tag, (found = emptyEntry(tag)));
      return found;
    };
    for (const row of meta) {
      Object.assign(entry(row.tag), {
        unit: row.unit,
        description: row.description,
        source: row.source,
        valueType: row.value_type,
        expectedPeriodMs: row.expected_period_ms === null ? null : Number(row.expected_period_ms),
      });
    }
    for (const row of spans) {
      const found = entry(row.tag);
      found.firstTs = usToIso(row.first_ts);
      found.lastTs = usToIso(row.last_hour);
      found.lastValue = row.last_value;
    }
    for (const row of lasts) {
      const found = entry(row.tag);
      found.firstTs ??= usToIso(row.ts);
      found.lastTs = usToIso(row.ts);
      found.lastValue = row.value;
      found.lastText = row.value_text;
      found.source ??= row.source;
    }
    const sorted = new Map([...entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    this.cached = { at: now, entries: sorted };
    return sorted;
  }
}
