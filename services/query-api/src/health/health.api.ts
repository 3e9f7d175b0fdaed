import { z } from 'zod';
import type { RouteDoc } from '../http/openapi.js';

export const tagHealthQuerySchema = z.object({
  prefix: z
    .string()
    .max(400)
    .regex(/^[A-Za-z0-9_.\-/]*$/, 'a path prefix has only A-Z a-z 0-9 _ . - /')
    .optional()
    .describe('Only tags under this path prefix'),
});

const counts = z.record(z.string(), z.number()).nullable();

export const tagHealthSchema = z.object({
  tag: z.string(),
  source: z.string().nullable(),
  lastSeen: z
    .string()
    .nullable()
    .describe('Source ts of the newest sample (ISO-8601); hour precision if older than the look-back'),
  ingestLagMs: z
    .number()
    .nullable()
    .describe('ingest_ts − ts of the newest sample: source clock to ingest, null when unknown'),
  onTimeSamples: z
    .number()
    .nullable()
    .describe('Samples stored within the look-back that arrived in event-time order (pipeline_tag_stats)'),
  lateSamples: z.number().nullable().describe('Samples that arrived late but within the allowed lateness'),
  droppedSamples: z
    .number()
    .nullable()
    .describe(
      'Samples past the allowed lateness: still stored in raw and the rollups, but a windowed consumer drops them',
    ),
  deadLetters: z
    .number()
    .nullable()
    .describe('Messages keyed by this tag the stream processor sent to the dead-letter topic (never stored)'),
});

export const tagHealthResponseSchema = z.object({
  generatedAt: z.string(),
  tags: z.array(tagHealthSchema),
  pipeline: z.object({
    processorReachable: z.boolean(),
    samples: counts.describe(
      'Stream processor samples by lateness: on_time, late, too_late (dropped from windows)',
    ),
    deadLettersByTopic: counts.describe('Messages the stream processor dead-lettered, by source topic'),
    consumerLagByTopic: counts.describe('Messages behind the partition ends, summed per topic'),
    questdbWriteSecondsAvg: z
      .number()
      .nullable()
      .describe('Mean ILP write time until QuestDB acknowledged, since the processor started'),
    sourceLagSeconds: z
      .number()
      .nullable()
      .describe('Now minus the newest source ts of the last acknowledged batch'),
    deadLetterTopics: z
      .array(z.object({ topic: z.string(), messages: z.number() }))
      .nullable()
      .describe('Messages ever written to each *.dlq topic (sum of partition end offsets)'),
    openGaps: z
      .array(z.object({ endpoint: z.string(), source: z.string(), since: z.string() }))
      .describe('Source outages still open (from ingest_gaps)'),
    problems: z.array(z.string()).describe('Why a figure above is null'),
  }),
});
export type TagHealthResponse = z.infer<typeof tagHealthResponseSchema>;

export const HEALTH_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/api/health/tags',
    area: 'health',
    summary: 'Pipeline health per tag: last seen, ingest lag, lateness, dead letters, write lag, outages',
    query: tagHealthQuerySchema,
    response: tagHealthResponseSchema,
  },
];
