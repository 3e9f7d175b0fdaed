import type { Tier } from '@millrace/downsample';
import { TABLES, VIEWS, type MaterializedViewSpec } from '@millrace/schema';
import { usToIso, type EpochUs } from '@millrace/time';
import type { AGGREGATES, TIER_NAMES } from './series.api.js';

/** A storage tier and where it lives; identifiers come from @millrace/schema only. */
export interface StorageTier extends Tier {
  readonly name: (typeof TIER_NAMES)[number];
  readonly table: string;
  readonly rollup: boolean;
}

const RESOLUTION_US: Record<MaterializedViewSpec['sampleBy'], number> = {
  '1s': 1_000_000,
  '1m': 60_000_000,
  '1h': 3_600_000_000,
};

const rollupTier = (view: MaterializedViewSpec): StorageTier => ({
  name: view.sampleBy,
  resolutionUs: RESOLUTION_US[view.sampleBy],
  table: view.name,
  rollup: true,
});

export const TIERS: readonly StorageTier[] = [
  { name: 'raw', resolutionUs: 0, table: TABLES.samples.name, rollup: false },
  rollupTier(VIEWS.samples1s),
  rollupTier(VIEWS.samples1m),
  rollupTier(VIEWS.samples1h),
];

export interface Sql {
  readonly text: string;
  readonly params: readonly unknown[];
}

/**
 * QuestDB wants `timestamp_floor`'s stride and origin as constants (a bind parameter is refused), so
 * they are spliced in, but only from numbers this service computed, re-checked here: never from input.
 */
function constantTimestamp(us: EpochUs): string {
  if (!Number.isSafeInteger(us)) throw new RangeError(`not an integer instant: ${us}`);
  return `'${usToIso(us)}'`;
}
/** QuestDB reads the stride's count as a 32-bit int (`'18000000000U'` silently floors by the hour), so
 * it is written in the largest unit that divides it exactly. */
const STRIDE_UNITS: readonly (readonly [string, number])[] = [
  ['h', 3_600_000_000],
  ['m', 60_000_000],
  ['s', 1_000_000],
  ['T', 1_000],
  ['U', 1],
];
export function constantStride(us: number): string {
  if (!Number.isSafeInteger(us) || us < 1) throw new RangeError(`not a positive integer stride: ${us}`);
  const [unit, size] = STRIDE_UNITS.find(([, size]) => us % size === 0)!;
  const count = us / size;
  if (count > 2_147_483_647) throw new RangeError(`stride too long: ${us} µs`);
  return `'${count}${unit}'`;
}

const tagList = (count: number, first: number) =>
  Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ');

/**
 * M4 per pixel column on one tier. A rollup is read as it stands (the tier rule keeps it to about
 * 4 × width buckets per tag) and merged into pixel columns by `m4FromBuckets`: the grid's columns are
 * whole buckets, so min(min), max(max), first(first) and last(last) per column are exactly min, max,
 * first and last over raw; a GROUP BY in QuestDB cost more than reading the buckets (docs/benchmarks.md).
 * Raw, read only when a pixel is shorter than the finest rollup's bucket but may hold many samples per
 * pixel, is grouped in QuestDB, as a parallel GROUP BY over `timestamp_floor(pixel, ts, origin)`
 * (SAMPLE BY with FROM, which would set the origin, is refused for keyed queries). Either way the answer's
 * columns are col, tag, min, max, last, sum, count, and for raw also first, first_ts, last_ts, tier_rows; for
 * one tag without `tag`: the path is the widest column of a row, and every row would repeat it. A
 * rollup's `first` is not read: the answer draws min, max, avg and last, and it was an eighth of the bytes.
 */
export function m4Sql(
  tier: StorageTier,
  tags: readonly string[],
  grid: { originUs: EpochUs; pixelUs: number },
  startUs: EpochUs,
  endUs: EpochUs,
): Sql {
  const where =
    `WHERE tag IN (${tagList(tags.length, 1)}) AND ts >= $${tags.length + 1} AND ts < $${tags.length + 2}` +
    (tier.rollup ? '' : ' AND value IS NOT NULL');
  const params = [...tags, usToIso(startUs), usToIso(endUs)];
  const tag = tags.length > 1 ? 'tag, ' : '';
  if (tier.rollup)
    return {
      text: `SELECT ts AS col, ${tag}min, max, last, sum, count FROM ${tier.table} ${where}`,
      params,
    };
  return {
    text:
      `SELECT timestamp_floor(${constantStride(grid.pixelUs)}, ts, ${constantTimestamp(grid.originUs)}) AS col, ${tag}` +
      'min(value) AS min, max(value) AS max, first(value) AS first, last(value) AS last, sum(value) AS sum, ' +
      `count(value) AS count, min(ts) AS first_ts, max(ts) AS last_ts, count() AS tier_rows FROM ${tier.table} ${where} ` +
      `GROUP BY col${tags.length > 1 ? ', tag' : ''} ORDER BY ${tag}col`,
    params,
  };
}

export interface EdgeRow extends Record<string, unknown> {
  tag: string;
  ts: EpochUs;
  value: number;
}

/** The last numeric sample of each tag in `[sinceUs, beforeUs)`; LATEST ON scans backwards and stops early. */
export function lastBeforeSql(tags: readonly string[], sinceUs: EpochUs, beforeUs: EpochUs): Sql {
  return {
    text:
      `SELECT tag, ts, value FROM ${TABLES.samples.name} WHERE tag IN (${tagList(tags.length, 1)}) ` +
      `AND ts >= $${tags.length + 1} AND ts < $${tags.length + 2} AND value IS NOT NULL LATEST ON ts PARTITION BY tag`,
    params: [...tags, usToIso(sinceUs), usToIso(beforeUs)],
  };
}

/** The first numeric sample of each tag in `[fromUs, untilUs)`. */
export function firstAfterSql(tags: readonly string[], fromUs: EpochUs, untilUs: EpochUs): Sql {
  return {
    text:
      `SELECT tag, min(ts) AS ts, first(value) AS value FROM ${TABLES.samples.name} ` +
      `WHERE tag IN (${tagList(tags.length, 1)}) AND ts >= $${tags.length + 1} AND ts < $${tags.length + 2} ` +
      'AND value IS NOT NULL GROUP BY tag',
    params: [...tags, usToIso(fromUs), usToIso(untilUs)],
  };
}

const AGG_EXPRESSIONS: Record<(typeof AGGREGATES)[number], { raw: string; rollup: string }> = {
  avg: { raw: 'avg(value)', rollup: 'sum(sum) / sum(count)' },
  min: { raw: 'min(value)', rollup: 'min(min)' },
  max: { raw: 'max(value)', rollup: 'max(max)' },
  last: { raw: 'last(value)', rollup: 'last(last)' },
  count: { raw: 'count(value)', rollup: 'sum(count)' },
};

export interface AggRow extends Record<string, unknown> {
  ts: EpochUs;
  tag: string;
  value: number | string | null;
  tier_rows: string | number;
}

const ZONE = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;
const INTERVAL = /^[1-9]\d{0,3}[smhd]$/;

/**
 * One aggregate per fixed bucket. Day buckets follow the plant's calendar: `SAMPLE BY 1d ALIGN TO
 * CALENDAR TIME ZONE 'Europe/Berlin'` makes a DST day one 23 h or 25 h bucket (QuestDB docs, SAMPLE BY,
 * "ALIGN TO CALENDAR TIME ZONE"). Shorter buckets align in UTC: in local time QuestDB folds the hour
 * repeated in autumn into one bucket, and for zones with whole-hour offsets the UTC hours are the local
 * ones. Interval and zone are spliced (SAMPLE BY takes no parameters): both were validated
 * (parseInterval, the config's IANA check) and are checked again here.
 */
export function aggSql(
  tier: StorageTier,
  tags: readonly string[],
  aggregate: (typeof AGGREGATES)[number],
  interval: string,
  zone: string,
  fromUs: EpochUs,
  toUs: EpochUs,
): Sql {
  if (!INTERVAL.test(interval)) throw new RangeError(`unsafe interval ${interval}`);
  if (!ZONE.test(zone)) throw new RangeError(`unsafe zone ${zone}`);
  const expression = AGG_EXPRESSIONS[aggregate][tier.rollup ? 'rollup' : 'raw'];
  return {
    text:
      `SELECT ts, tag, ${expression} AS value, count() AS tier_rows FROM ${tier.table} ` +
      `WHERE tag IN (${tagList(tags.length, 1)}) AND ts >= $${tags.length + 1} AND ts < $${tags.length + 2} ` +
      `SAMPLE BY ${interval} ${interval.endsWith('d') ? `ALIGN TO CALENDAR TIME ZONE '${zone}'` : 'ALIGN TO CALENDAR'} ` +
      'ORDER BY tag, ts',
    params: [...tags, usToIso(fromUs), usToIso(toUs)],
  };
}
