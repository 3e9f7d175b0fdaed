import { SERIES_BINARY_TYPE } from '@millrace/dashboards';
import type { SeriesFrame } from '@millrace/downsample';
import { tagPathSchema } from '@millrace/schema';
import { z } from 'zod';
import type { RouteDoc } from '../http/openapi.js';
import { filterText, repeated, timeRangeShape } from '../http/params.js';

export const TIER_NAMES = ['raw', '1s', '1m', '1h'] as const;
export const AGGREGATES = ['avg', 'min', 'max', 'last', 'count'] as const;

export const seriesQuerySchema = z
  .object({
    tag: repeated(tagPathSchema)
      .refine((tags) => tags.length > 0, 'at least one tag')
      .describe('Tag path; repeat for several tags'),
    ...timeRangeShape,
    width: z.coerce
      .number()
      .int()
      .min(1, 'width must be at least 1 pixel')
      .optional()
      .describe('Chart width in pixels: M4 returns at most one bucket (4 values) per pixel column'),
    agg: z.enum(AGGREGATES).optional().describe('With interval: one aggregate per fixed bucket, for tables'),
    interval: z
      .string()
      .max(8)
      .optional()
      .describe(
        'Bucket for agg: 30s, 1m, 1h, 8h, 1d; days follow the plant time zone (DST days are 23 h / 25 h)',
      ),
    order: filterText("Production order id: the range becomes the order's run (running → completed)"),
    coil: filterText("Coil id: the range becomes the coil's time on the line"),
    cell: filterText('Cell id: the range becomes its assembly lead-in to its last inspection'),
    tier: z
      .enum(['auto', ...TIER_NAMES])
      .default('auto')
      .describe('Force a storage tier; raw is refused for ranges longer than the configured maximum'),
  })
  .superRefine((query, context) => {
    if ((query.agg === undefined) !== (query.interval === undefined))
      context.addIssue({ code: 'custom', path: ['interval'], message: 'agg and interval go together' });
    if (query.agg === undefined && query.width === undefined)
      context.addIssue({
        code: 'custom',
        path: ['width'],
        message: 'width is required (or agg with interval)',
      });
  });
export type SeriesQuery = z.infer<typeof seriesQuerySchema>;

const rangeEcho = z.object({
  raw: z.string().describe('As the caller wrote it'),
  iso: z.string().describe('The instant it resolved to'),
});

const nullableNumbers = z.array(z.number().nullable());

export const m4SeriesSchema = z.object({
  tag: z.string(),
  times: z.array(z.number()).describe('Epoch seconds (uPlot x); a null in the value arrays is a gap'),
  min: nullableNumbers,
  max: nullableNumbers,
  avg: nullableNumbers,
  last: nullableNumbers,
  count: z.array(z.number().int()).describe('Samples per point'),
});

export const aggSeriesSchema = z.object({
  tag: z.string(),
  times: z.array(z.number()).describe('Epoch seconds of each bucket start'),
  values: nullableNumbers,
});

export const seriesResponseSchema = z.object({
  mode: z.enum(['m4', 'agg']),
  tier: z.enum(TIER_NAMES).describe('Storage tier read'),
  from: rangeEcho,
  to: rangeEcho,
  bucketMs: z.number().describe('Pixel column (m4) or interval (agg) length'),
  rowsScanned: z.number().int().describe('Rows of the tier read'),
  production: z
    .object({ kind: z.enum(['order', 'coil', 'cell']), id: z.string() })
    .optional()
    .describe('The order, coil or cell whose time in production set the range'),
  series: z.array(z.union([m4SeriesSchema, aggSeriesSchema])),
});
export type SeriesResponse = z.infer<typeof seriesResponseSchema>;
export type AggSeries = z.infer<typeof aggSeriesSchema>;

/** An M4 series as the reader builds it: float64 columns, NaN where the line breaks. */
export type M4Frame = { readonly tag: string } & SeriesFrame;
/** The answer before it is written: the binary format copies its float64 columns as they are. */
export type SeriesAnswer = Omit<SeriesResponse, 'series'> & { series: (M4Frame | AggSeries)[] };

const nullForNaN = (column: Float64Array) =>
  Array.from(column, (value) => (Number.isNaN(value) ? null : value));

/** The JSON answer: columns as arrays, a break (NaN) as `null`. */
export function seriesResponseJson(answer: SeriesAnswer): SeriesResponse {
  return {
    ...answer,
    series: answer.series.map((series) =>
      'values' in series
        ? series
        : {
            tag: series.tag,
            times: Array.from(series.times),
            min: nullForNaN(series.min),
            max: nullForNaN(series.max),
            avg: nullForNaN(series.avg),
            last: nullForNaN(series.last),
            count: Array.from(series.count),
          },
    ),
  };
}

export const SERIES_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/api/series',
    area: 'series',
    summary: 'Time series of tags over any range, M4-downsampled to the chart width, columnar for uPlot',
    description:
      'Reads the coarsest tier (raw, samples_1s, _1m, _1h) whose buckets fit a pixel column and returns min, max, ' +
      'avg and last per column, plus the last sample before and the first after the range; a silence longer than ' +
      "the tag's expected period is a null (a break). With agg + interval: one aggregate per fixed bucket. " +
      `With \`Accept: ${SERIES_BINARY_TYPE}\` the same answer comes with its arrays as float64 columns ` +
      '(libs/dashboards series-binary.ts; NaN for null), which the web app reads: no number formatting either way.',
    query: seriesQuerySchema,
    response: seriesResponseSchema,
  },
];
