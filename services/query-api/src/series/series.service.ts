import type { QueryApiConfig } from '@millrace/config';
import {
  emptyM4Columns,
  historianFrame,
  m4FromBuckets,
  MAX_ROWS_PER_COLUMN,
  M4Workspace,
  planM4,
  tierForInterval,
  type EdgeSample,
} from '@millrace/downsample';
import type { ColumnarResult, QueryClient, TextColumn } from '@millrace/questdb';
import { epochUs, msToUs, usToIso, usToS, type EpochMs, type EpochUs } from '@millrace/time';
import { parseInterval, resolveTimeRange, zoneOffsetsMs, type TimeRange } from '@millrace/timerange';
import { badRequest, resolving } from '../http/validation.js';
import type { TagCatalog } from '../tags/tag-catalog.js';
import type { ProductionSpans } from './production-span.js';
import type { TagEntry } from '../tags/tags.api.js';
import type { AggSeries, M4Frame, SeriesAnswer, SeriesQuery } from './series.api.js';
import {
  TIERS,
  aggSql,
  firstAfterSql,
  lastBeforeSql,
  m4Sql,
  type AggRow,
  type EdgeRow,
  type StorageTier,
} from './series.sql.js';

/** Reads series: picks the tier, runs M4 or fixed-interval aggregation in QuestDB, shapes the frames. */
export class SeriesReader {
  /** M4 columns of the request being shaped; used only between an await and the frames built from it. */
  private readonly m4Workspace = new M4Workspace();

  constructor(
    private readonly client: QueryClient,
    private readonly catalog: TagCatalog,
    private readonly spans: ProductionSpans,
    private readonly config: QueryApiConfig,
  ) {}

  async read(query: SeriesQuery, now: EpochMs): Promise<SeriesAnswer> {
    const tags = [...new Set(query.tag)];
    if (tags.length > this.config.QUERY_API_MAX_TAGS)
      throw badRequest(`tag: at most ${this.config.QUERY_API_MAX_TAGS} tags per request, got ${tags.length}`);
    const zone = this.config.MILLRACE_PLANT_TZ;
    const span = await this.spans.spanOf(query, now);
    const range = resolving(() =>
      resolveTimeRange(span ?? { from: query.from, to: query.to }, { now, zone }),
    );
    const { known, unknown } = await this.catalog.lookup(tags, now);
    if (unknown.length > 0)
      throw badRequest(`tag: unknown tag${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);

    const forced = query.tier === 'auto' ? undefined : TIERS.find((tier) => tier.name === query.tier);
    if (forced?.name === 'raw' && range.to - range.from > this.config.QUERY_API_MAX_RAW_RANGE_MS) {
      throw badRequest(
        `tier: range too large for raw (${(range.to - range.from) / 3_600_000} h, at most ` +
          `${this.config.QUERY_API_MAX_RAW_RANGE_MS / 3_600_000} h); use tier=auto or a rollup`,
      );
    }
    const production = span && { production: { kind: span.kind, id: span.id } };
    if (query.agg !== undefined && query.interval !== undefined)
      return { ...(await this.aggregate(tags, range, query.agg, query.interval, forced)), ...production };
    const width = query.width ?? 0;
    if (width > this.config.QUERY_API_MAX_WIDTH)
      throw badRequest(`width: at most ${this.config.QUERY_API_MAX_WIDTH}, got ${width}`);
    return { ...(await this.m4(tags, known, range, width, forced, now)), ...production };
  }

  private async m4(
    tags: string[],
    known: Map<string, TagEntry>,
    range: TimeRange,
    width: number,
    forced: StorageTier | undefined,
    now: EpochMs,
  ): Promise<SeriesAnswer> {
    const fromUs = msToUs(range.from);
    const toUs = msToUs(range.to);
    const plan = planM4(fromUs, toUs, width, forced ? [forced] : TIERS);
    const tier = plan.tier as StorageTier;
    // Whole columns: on a rollup the first and last bucket may reach over from and to.
    const startUs = plan.originUs;
    const endUs = epochUs(plan.originUs + plan.columns * plan.pixelUs);
    const lookaroundUs = this.config.QUERY_API_EDGE_LOOKAROUND_MS * 1_000;
    // The sample after the range only has to be looked for nearby: past that, holding the last value
    // (or the gap rule) draws the same picture, and a short window keeps a historical query cheap.
    const afterUntil = epochUs(endUs + Math.min(lookaroundUs, Math.max(4 * plan.pixelUs, 60_000_000)));

    const m4Statement = m4Sql(tier, tags, plan, startUs, endUs);
    const before = lastBeforeSql(tags, epochUs(startUs - lookaroundUs), startUs);
    const after = firstAfterSql(tags, endUs, afterUntil);
    // About one row per bucket of a rollup (the tier rule's bound; only the coarsest tier may hold more),
    // one per pixel column of raw (grouped in QuestDB): the decoder sizes its columns by it.
    const rowsPerTag = tier.rollup
      ? Math.min((endUs - startUs) / tier.resolutionUs, MAX_ROWS_PER_COLUMN * plan.columns)
      : plan.columns;
    const [buckets, beforeRows, afterRows] = await Promise.all([
      // Binary columns: a 100-tag day is 144k rows, too many to parse as text into row objects.
      this.client.columns(m4Statement.text, m4Statement.params, tags.length * rowsPerTag),
      this.client.query<EdgeRow>(before.text, before.params),
      this.client.query<EdgeRow>(after.text, after.params),
    ]);
    const read = columnsOf(buckets);
    // One tag: no tag column (m4Sql), every row is series 0.
    const tagColumn = tags.length > 1 ? read.text('tag') : undefined;
    const tagOfCode = tagColumn?.dictionary.map((tag) => tags.indexOf(tag)) ?? [];
    const series = tagColumn
      ? tagColumn.codes.map((code) => tagOfCode[code] ?? -1)
      : new Float64Array(buckets.rowCount);
    const columnsByTag = m4FromBuckets(
      {
        length: buckets.rowCount,
        series,
        start: read.numbers('col'),
        firstTime: tier.rollup ? undefined : read.numbers('first_ts'),
        lastTime: tier.rollup ? undefined : read.numbers('last_ts'),
        min: read.numbers('min'),
        max: read.numbers('max'),
        first: tier.rollup ? undefined : read.numbers('first'),
        last: read.numbers('last'),
        sum: read.numbers('sum'),
        count: read.numbers('count'),
      },
      tags.length,
      plan,
      this.m4Workspace,
    );
    const rowsScanned = tier.rollup ? buckets.rowCount : read.numbers('tier_rows').reduce((a, b) => a + b, 0);
    const edge = (list: EdgeRow[]) =>
      new Map(list.map((row): [string, EdgeSample] => [row.tag, { time: row.ts, value: row.value }]));
    const beforeByTag = edge(beforeRows);
    const afterByTag = edge(afterRows);
    const holdUntil = epochUs(Math.min(toUs, msToUs(now)));

    const answer: M4Frame[] = tags.map((tag, i) => {
      const expectedMs = known.get(tag)?.expectedPeriodMs ?? this.config.QUERY_API_DEFAULT_EXPECTED_PERIOD_MS;
      const frame = historianFrame(columnsByTag[i] ?? emptyM4Columns(), {
        resolutionUs: tier.resolutionUs,
        maxGapUs: expectedMs > 0 ? expectedMs * 1_000 * this.config.QUERY_API_GAP_FACTOR : undefined,
        before: beforeByTag.get(tag),
        after: afterByTag.get(tag),
        holdUntil,
      });
      return { tag, ...frame };
    });
    return {
      mode: 'm4',
      tier: tier.name,
      from: { raw: range.raw.from, iso: usToIso(fromUs) },
      to: { raw: range.raw.to, iso: usToIso(toUs) },
      bucketMs: plan.pixelUs / 1_000,
      rowsScanned: rowsScanned + beforeRows.length + afterRows.length,
      series: answer,
    };
  }

  private async aggregate(
    tags: string[],
    range: TimeRange,
    aggregate: NonNullable<SeriesQuery['agg']>,
    intervalText: string,
    forced: StorageTier | undefined,
  ): Promise<SeriesAnswer> {
    const zone = this.config.MILLRACE_PLANT_TZ;
    const interval = resolving(() => parseInterval(intervalText));
    const buckets = Math.ceil((range.to - range.from) / interval.nominalMs);
    if (buckets > this.config.QUERY_API_MAX_BUCKETS) {
      throw badRequest(
        `interval: ${buckets} buckets per tag, at most ${this.config.QUERY_API_MAX_BUCKETS}; use a longer interval`,
      );
    }
    const offsetsUs = zoneOffsetsMs(zone, range.from, range.to).map((ms) => ms * 1_000);
    const tier = (forced ?? tierForInterval(interval.nominalMs * 1_000, offsetsUs, TIERS)) as StorageTier;
    const fromUs = msToUs(range.from);
    const toUs = msToUs(range.to);
    const statement = aggSql(tier, tags, aggregate, interval.text, zone, fromUs, toUs);
    const rows = await this.client.query<AggRow>(statement.text, statement.params);
    const byTag = new Map<string, AggSeries>(tags.map((tag) => [tag, { tag, times: [], values: [] }]));
    let rowsScanned = 0;
    for (const row of rows) {
      const series = byTag.get(row.tag);
      if (!series) continue;
      series.times.push(usToS(row.ts as EpochUs));
      series.values.push(row.value === null ? null : Number(row.value));
      rowsScanned += Number(row.tier_rows);
    }
    return {
      mode: 'agg',
      tier: tier.name,
      from: { raw: range.raw.from, iso: usToIso(fromUs) },
      to: { raw: range.raw.to, iso: usToIso(toUs) },
      bucketMs: interval.nominalMs,
      rowsScanned,
      series: [...byTag.values()],
    };
  }
}

/** Columns of a binary answer by name; a missing column is a bug in the SQL beside it. */
function columnsOf(result: ColumnarResult) {
  const column = (name: string) => {
    const index = result.names.indexOf(name);
    if (index < 0) throw new Error(`column ${name} missing from the answer`);
    return result.values[index]!;
  };
  return {
    numbers: (name: string) => column(name) as Float64Array,
    text: (name: string) => column(name) as TextColumn,
  };
}
