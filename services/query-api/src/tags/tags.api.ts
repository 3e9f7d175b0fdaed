import { z } from 'zod';
import type { RouteDoc } from '../http/openapi.js';

export const tagsQuerySchema = z.object({
  search: z
    .string()
    .max(128)
    .optional()
    .describe('Case-insensitive text found in the path, unit or description'),
  prefix: z
    .string()
    .max(400)
    .regex(/^[A-Za-z0-9_.\-/]*$/, 'a path prefix has only A-Z a-z 0-9 _ . - /')
    .optional()
    .describe('Path prefix, e.g. plant1/coldmill/pltcm/'),
});

export const tagEntrySchema = z.object({
  path: z.string(),
  unit: z.string().nullable(),
  description: z.string().nullable(),
  source: z.string().nullable(),
  valueType: z.string().nullable(),
  expectedPeriodMs: z.number().nullable().describe('From the catalog; drives the gap rule of /api/series'),
  firstTs: z.string().nullable().describe('ISO-8601; hour precision (from the hourly rollup)'),
  lastTs: z
    .string()
    .nullable()
    .describe('ISO-8601; exact when within the last-value look-back, else hour precision'),
  lastValue: z.number().nullable(),
  lastText: z.string().nullable().describe('Last value of a string tag'),
});
export type TagEntry = z.infer<typeof tagEntrySchema>;

export const tagsResponseSchema = z.object({ tags: z.array(tagEntrySchema) });

export const TAG_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/api/tags',
    area: 'tags',
    summary: 'Tag catalog with first and last timestamp and last value',
    query: tagsQuerySchema,
    response: tagsResponseSchema,
  },
];
