import { TABLES } from '@millrace/schema';
import { z } from 'zod';
import type { RouteDoc } from '../http/openapi.js';
import { filterText, limit, sortDirection, timeRangeShape } from '../http/params.js';

const MAX_LIMIT = 10_000;
const columnsOf = (table: { columns: readonly { name: string }[] }) =>
  table.columns.map((column) => column.name) as [string, ...string[]];

/** Sort keys are an allow-list of the table's own columns (from @millrace/schema): the only identifiers spliced. */
export const coilsQuerySchema = z.object({
  ...timeRangeShape,
  alloy: filterText('Alloy code, e.g. DC01'),
  coil: filterText('Coil id'),
  sort: z.enum(columnsOf(TABLES.coils)).default('ts').describe('Column to sort by'),
  dir: sortDirection,
  limit: limit(MAX_LIMIT),
});

export const SUMMARY_GROUPS = {
  alloy_code: 'alloy_code',
  entry_width: 'entry_width_mm',
  exit_thickness: 'exit_thickness_mm',
} as const;
export const SUMMARY_SORTS = [
  'key',
  'coils',
  'avg_thickness_mm',
  'min_thickness_mm',
  'avg_weight_kg',
  'min_weight_kg',
] as const;

export const productionSummaryQuerySchema = z.object({
  ...timeRangeShape,
  by: z
    .enum(Object.keys(SUMMARY_GROUPS) as [keyof typeof SUMMARY_GROUPS])
    .default('alloy_code')
    .describe('Group coils by alloy code, entry width or exit thickness'),
  sort: z.enum(SUMMARY_SORTS).default('coils').describe('Column to sort by'),
  dir: sortDirection,
});

export const inspectionsQuerySchema = z.object({
  ...timeRangeShape,
  cell: filterText('Cell id'),
  order: filterText('Order id'),
  stage: z.enum(['IPQC', 'FQC', 'OQC']).optional().describe('Inspection stage'),
  sort: z.enum(columnsOf(TABLES.inspections)).default('ts').describe('Column to sort by'),
  dir: sortDirection,
  limit: limit(MAX_LIMIT),
});

export const ordersQuerySchema = z.object({
  ...timeRangeShape,
  order: filterText('Order id'),
  state: filterText('Order state'),
  sort: z.enum(columnsOf(TABLES.orders)).default('ts').describe('Column to sort by'),
  dir: sortDirection,
  limit: limit(MAX_LIMIT),
});

/** The line's per-coil files, in long format (one row per named value): what the PLTCM monitors pick from. */
export const COIL_DATA_TABLES = {
  segment: TABLES.segmentData,
  setup: TABLES.setupData,
  coiler: TABLES.coilerData,
  strip: TABLES.stripData,
} as const;
const coilDataColumns = [
  ...new Set(Object.values(COIL_DATA_TABLES).flatMap((table) => columnsOf(table))),
] as [string, ...string[]];

export const coilDataQuerySchema = z.object({
  kind: z
    .enum(Object.keys(COIL_DATA_TABLES) as [keyof typeof COIL_DATA_TABLES])
    .describe('segment (LenSeg … per MP and segment), setup (per stand), coiler or strip data'),
  ...timeRangeShape,
  coil: filterText('Coil id'),
  variable: filterText('Variable as the machine names it, e.g. LenSeg or ThermalCrown_G1'),
  mp: filterText('Measurement point (segment data), e.g. MP03'),
  stand: z.coerce.number().int().min(1).max(10).optional().describe('Mill stand (setup data)'),
  sort: z.enum(coilDataColumns).default('ts').describe("Column to sort by (one of the kind's columns)"),
  dir: sortDirection,
  limit: limit(MAX_LIMIT),
});

const cell = z.union([z.string(), z.number(), z.null()]);
/** Rows as objects keyed by column; timestamps as ISO-8601 (UTC, µs). */
export const rowsResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  rows: z.array(z.record(z.string(), cell)),
});
export type RowsResponse = z.infer<typeof rowsResponseSchema>;

export const summaryResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  by: z.string(),
  groups: z.array(
    z.object({
      key: cell,
      coils: z.number().int(),
      avg_thickness_mm: z.number().nullable(),
      min_thickness_mm: z.number().nullable(),
      avg_weight_kg: z.number().nullable(),
      min_weight_kg: z.number().nullable(),
    }),
  ),
});
export type SummaryResponse = z.infer<typeof summaryResponseSchema>;

export const RECORD_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/api/coils',
    area: 'records',
    summary: 'Coils started in a time range, by alloy code or coil id',
    query: coilsQuerySchema,
    response: rowsResponseSchema,
  },
  {
    method: 'get',
    path: '/api/production/summary',
    area: 'records',
    summary: 'Coil count, average and minimum exit thickness and weight, grouped',
    query: productionSummaryQuerySchema,
    response: summaryResponseSchema,
  },
  {
    method: 'get',
    path: '/api/coil-data',
    area: 'records',
    summary: 'Segment, setup, coiler or strip values of coils, by coil, variable, MP or stand',
    query: coilDataQuerySchema,
    response: rowsResponseSchema,
  },
  {
    method: 'get',
    path: '/api/inspections',
    area: 'records',
    summary: 'Cell inspections (IPQC, FQC, OQC) by cell or order',
    query: inspectionsQuerySchema,
    response: rowsResponseSchema,
  },
  {
    method: 'get',
    path: '/api/orders',
    area: 'records',
    summary: 'Production order state changes',
    query: ordersQuerySchema,
    response: rowsResponseSchema,
  },
];
