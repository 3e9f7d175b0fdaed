/** QuestDB column types the pipeline uses (https://questdb.com/docs/reference/sql/datatypes/). */
export type ColumnType = 'TIMESTAMP' | 'SYMBOL' | 'VARCHAR' | 'DOUBLE' | 'LONG' | 'INT' | 'BOOLEAN';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

/**
 * A QuestDB table: always a WAL table with a designated timestamp `ts` and DEDUP UPSERT KEYS, so a
 * re-delivered or replayed row replaces itself instead of doubling (ARCHITECTURE.md, Delivery).
 */
export interface TableSpec {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  readonly partitionBy: 'HOUR' | 'DAY' | 'MONTH' | 'YEAR';
  /** Must include `ts`; together they identify a row. */
  readonly dedupKeys: readonly string[];
  readonly description: string;
}

const ts: ColumnSpec = { name: 'ts', type: 'TIMESTAMP' };
const col = (name: string, type: ColumnType): ColumnSpec => ({ name, type });

function table(spec: TableSpec): TableSpec {
  const names = new Set(spec.columns.map((column) => column.name));
  if (spec.columns[0]?.name !== 'ts') throw new Error(`table ${spec.name}: first column must be ts`);
  for (const key of spec.dedupKeys) {
    if (!names.has(key)) throw new Error(`table ${spec.name}: dedup key ${key} is not a column`);
  }
  if (!spec.dedupKeys.includes('ts')) throw new Error(`table ${spec.name}: dedup keys must include ts`);
  return Object.freeze(spec);
}

/** Long-format record values (one row per named value) so a monitor can pick any variable. */
const recordValueColumns = [ts, col('coil_id', 'SYMBOL'), col('line', 'SYMBOL')];

export const TABLES = {
  samples: table({
    name: 'samples',
    columns: [
      ts,
      col('tag', 'SYMBOL'),
      col('value', 'DOUBLE'),
      col('value_text', 'VARCHAR'),
      col('quality', 'SYMBOL'),
      col('source', 'SYMBOL'),
      col('ingest_ts', 'TIMESTAMP'),
    ],
    partitionBy: 'DAY',
    dedupKeys: ['ts', 'tag'],
    description: 'Raw samples; numbers and booleans (0/1) in value, strings in value_text.',
  }),
  tags: table({
    name: 'tags',
    columns: [
      ts,
      col('tag', 'SYMBOL'),
      col('source', 'SYMBOL'),
      col('value_type', 'SYMBOL'),
      col('unit', 'SYMBOL'),
      col('description', 'VARCHAR'),
      col('expected_period_ms', 'LONG'),
    ],
    partitionBy: 'YEAR',
    dedupKeys: ['ts', 'tag'],
    description: 'Tag catalog history; the latest row per tag is current.',
  }),
  coils: table({
    name: 'coils',
    columns: [
      ts,
      col('coil_id', 'SYMBOL'),
      col('line', 'SYMBOL'),
      col('alloy_code', 'SYMBOL'),
      col('entry_width_mm', 'DOUBLE'),
      col('entry_thickness_mm', 'DOUBLE'),
      col('exit_thickness_mm', 'DOUBLE'),
      col('weight_kg', 'DOUBLE'),
      col('end_ts', 'TIMESTAMP'),
    ],
    partitionBy: 'MONTH',
    dedupKeys: ['ts', 'coil_id'],
    description: 'One row per coil: ts is its start, end_ts its end.',
  }),
  coilerData: table({
    name: 'coiler_data',
    columns: [...recordValueColumns, col('variable', 'SYMBOL'), col('value', 'DOUBLE')],
    partitionBy: 'DAY',
    dedupKeys: ['ts', 'coil_id', 'variable'],
    description: 'Coiler values per coil.',
  }),
  stripData: table({
    name: 'strip_data',
    columns: [...recordValueColumns, col('variable', 'SYMBOL'), col('value', 'DOUBLE')],
    partitionBy: 'DAY',
    dedupKeys: ['ts', 'coil_id', 'variable'],
    description: 'Strip tracking values per coil.',
  }),
  setupData: table({
    name: 'setup_data',
    columns: [...recordValueColumns, col('stand', 'INT'), col('variable', 'SYMBOL'), col('value', 'DOUBLE')],
    partitionBy: 'DAY',
    dedupKeys: ['ts', 'coil_id', 'stand', 'variable'],
    description: 'Setup variables per coil and stand, e.g. ThermalCrown_G1..G5.',
  }),
  segmentData: table({
    name: 'segment_data',
    columns: [
      ...recordValueColumns,
      col('mp', 'SYMBOL'),
      col('segment', 'INT'),
      col('variable', 'SYMBOL'),
      col('value', 'DOUBLE'),
    ],
    partitionBy: 'DAY',
    dedupKeys: ['ts', 'coil_id', 'mp', 'segment', 'variable'],
    description: 'Segment values (e.g. LenSeg) per coil at measurement points MP00..MP10.',
  }),
  inspections: table({
    name: 'inspections',
    columns: [
      ts,
      col('cell_id', 'VARCHAR'),
      col('order_id', 'SYMBOL'),
      col('line', 'SYMBOL'),
      col('stage', 'SYMBOL'),
      col('station', 'SYMBOL'),
      col('weight_g', 'DOUBLE'),
      col('thickness_mm', 'DOUBLE'),
      col('ocv_v', 'DOUBLE'),
      col('acir_mohm', 'DOUBLE'),
      col('capacity_ah', 'DOUBLE'),
      col('self_discharge_mv_per_day', 'DOUBLE'),
      col('weld_strength_n', 'DOUBLE'),
      col('insulation_resistance_mohm', 'DOUBLE'),
      col('verdict', 'SYMBOL'),
    ],
    partitionBy: 'DAY',
    dedupKeys: ['ts', 'cell_id', 'stage'],
    description: 'IPQC, FQC and OQC inspections per cell.',
  }),
  riskEvents: table({
    name: 'risk_events',
    columns: [
      ts,
      col('cell_id', 'VARCHAR'),
      col('order_id', 'SYMBOL'),
      col('model_version', 'SYMBOL'),
      col('risk_class', 'SYMBOL'),
      col('probability', 'DOUBLE'),
      col('recommendation', 'VARCHAR'),
      col('reasons', 'VARCHAR'),
      col('unknown_reason', 'VARCHAR'),
    ],
    partitionBy: 'DAY',
    dedupKeys: ['ts', 'cell_id', 'model_version'],
    description: 'Risk scores per cell; reasons as JSON.',
  }),
  orders: table({
    name: 'orders',
    columns: [
      ts,
      col('order_id', 'SYMBOL'),
      col('line', 'SYMBOL'),
      col('product', 'VARCHAR'),
      col('quantity', 'LONG'),
      col('state', 'SYMBOL'),
    ],
    partitionBy: 'MONTH',
    dedupKeys: ['ts', 'order_id', 'state'],
    description: 'Production order state changes; ts is when the order entered state.',
  }),
  machineCommands: table({
    name: 'machine_commands',
    columns: [
      ts,
      col('command_id', 'VARCHAR'),
      col('machine', 'SYMBOL'),
      col('setpoint', 'SYMBOL'),
      col('value', 'DOUBLE'),
      col('reason', 'VARCHAR'),
      col('issued_by', 'VARCHAR'),
      col('model_version', 'SYMBOL'),
      col('result', 'SYMBOL'),
      col('detail', 'VARCHAR'),
    ],
    partitionBy: 'MONTH',
    dedupKeys: ['ts', 'command_id', 'result'],
    description: 'Audit of every machine command and its result.',
  }),
  ingestGaps: table({
    name: 'ingest_gaps',
    columns: [ts, col('endpoint', 'SYMBOL'), col('source', 'SYMBOL'), col('end_ts', 'TIMESTAMP')],
    partitionBy: 'MONTH',
    dedupKeys: ['ts', 'endpoint'],
    description: 'Source outages (e.g. an OPC UA endpoint down): ts is the start, end_ts the end.',
  }),
  pipelineTagStats: table({
    name: 'pipeline_tag_stats',
    columns: [
      ts,
      col('tag', 'SYMBOL'),
      col('on_time', 'LONG'),
      col('late', 'LONG'),
      col('too_late', 'LONG'),
      col('dead_letters', 'LONG'),
    ],
    partitionBy: 'DAY',
    dedupKeys: ['ts', 'tag'],
    description:
      'Per tag and flush interval, samples the stream processor stored by event-time lateness and ' +
      'those it dead-lettered; ts is the end of the interval.',
  }),
  annotations: table({
    name: 'annotations',
    columns: [
      ts,
      col('id', 'VARCHAR'),
      col('end_ts', 'TIMESTAMP'),
      col('text', 'VARCHAR'),
      col('tags', 'VARCHAR'),
      col('author', 'VARCHAR'),
    ],
    partitionBy: 'YEAR',
    dedupKeys: ['ts', 'id'],
    description: 'User annotations on the time axis.',
  }),
} as const;

export const ALL_TABLES: readonly TableSpec[] = Object.freeze(Object.values(TABLES));

/** Names are written only in this lib, but still checked: they are spliced into SQL. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** `CREATE TABLE IF NOT EXISTS ...` for a spec: idempotent, safe to run at every start-up. */
export function createTableSql(spec: TableSpec): string {
  for (const name of [spec.name, ...spec.columns.map((column) => column.name)]) {
    if (!IDENTIFIER.test(name)) throw new Error(`table ${spec.name}: "${name}" is not a safe identifier`);
  }
  const columns = spec.columns.map((column) => `${column.name} ${column.type}`).join(', ');
  return (
    `CREATE TABLE IF NOT EXISTS ${spec.name} (${columns}) TIMESTAMP(ts) PARTITION BY ${spec.partitionBy} WAL ` +
    `DEDUP UPSERT KEYS(${spec.dedupKeys.join(', ')})`
  );
}

/** `ALTER TABLE ... ADD COLUMN IF NOT EXISTS ...`, so a table created by an older release gains a new column. */
export function addColumnSql(spec: TableSpec, column: ColumnSpec): string {
  if (!spec.columns.includes(column))
    throw new Error(`table ${spec.name}: ${column.name} is not one of its columns`);
  return `ALTER TABLE ${spec.name} ADD COLUMN IF NOT EXISTS ${column.name} ${column.type}`;
}

/**
 * A rollup tier as a QuestDB materialized view over `samples` (or over the next finer tier). QuestDB
 * refreshes it incrementally after each commit to its base and recomputes exactly the time buckets a
 * commit touched, so late samples, replays and dedup-replaced rows all land in the rollups correctly
 * without the processor holding any window state (docs/architecture.md, Rollups).
 */
export interface MaterializedViewSpec {
  readonly name: string;
  readonly base: string;
  readonly sampleBy: '1s' | '1m' | '1h';
  readonly partitionBy: TableSpec['partitionBy'];
  /** The view's SELECT; its columns are `ts, tag, min, max, first, last, sum, count`. */
  readonly select: string;
  readonly description: string;
}

export const ROLLUP_COLUMNS: readonly ColumnSpec[] = [
  ts,
  col('tag', 'SYMBOL'),
  col('min', 'DOUBLE'),
  col('max', 'DOUBLE'),
  col('first', 'DOUBLE'),
  col('last', 'DOUBLE'),
  col('sum', 'DOUBLE'),
  col('count', 'LONG'),
];

function rollupFromRaw(
  name: string,
  sampleBy: MaterializedViewSpec['sampleBy'],
  partitionBy: TableSpec['partitionBy'],
) {
  return Object.freeze({
    name,
    base: TABLES.samples.name,
    sampleBy,
    partitionBy,
    select:
      'SELECT ts, tag, min(value) AS min, max(value) AS max, first(value) AS first, last(value) AS last, ' +
      `sum(value) AS sum, count(value) AS count FROM ${TABLES.samples.name} SAMPLE BY ${sampleBy}`,
    description: `${sampleBy} tumbling windows per tag over raw samples (numeric values only).`,
  });
}

/** A coarser tier rolled up from a finer one: far less to read than raw, with identical results. */
function rollupFromRollup(
  name: string,
  finer: MaterializedViewSpec,
  sampleBy: MaterializedViewSpec['sampleBy'],
  partitionBy: TableSpec['partitionBy'],
) {
  return Object.freeze({
    name,
    base: finer.name,
    sampleBy,
    partitionBy,
    select:
      'SELECT ts, tag, min(min) AS min, max(max) AS max, first(first) AS first, last(last) AS last, ' +
      `sum(sum) AS sum, sum(count) AS count FROM ${finer.name} SAMPLE BY ${sampleBy}`,
    description: `${sampleBy} tumbling windows per tag, rolled up from ${finer.name}.`,
  });
}

const samples1s = rollupFromRaw('samples_1s', '1s', 'DAY');
const samples1m = rollupFromRollup('samples_1m', samples1s, '1m', 'MONTH');
// Rollup tiers hold far fewer rows than raw, so coarser partitions keep a long-range query to few partitions.
const samples1h = rollupFromRollup('samples_1h', samples1m, '1h', 'YEAR');

export const VIEWS = { samples1s, samples1m, samples1h } as const;

/** In dependency order: each view's base exists before it. */
export const ALL_VIEWS: readonly MaterializedViewSpec[] = Object.freeze([samples1s, samples1m, samples1h]);

export function createViewSql(view: MaterializedViewSpec): string {
  if (!IDENTIFIER.test(view.name)) throw new Error(`view "${view.name}" is not a safe identifier`);
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${view.name} AS (${view.select}) PARTITION BY ${view.partitionBy}`;
}
