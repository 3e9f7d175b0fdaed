import { z } from 'zod';

/** `from` / `to`: ISO-8601, epoch ms, or Grafana-style relative times, resolved against one `now` per request. */
export const timeRangeShape = {
  from: z
    .string()
    .min(1)
    .max(64)
    .default('now-6h')
    .describe('Start (inclusive): ISO-8601 (no offset = plant time), epoch ms, or now-6h, now-7d/d, now'),
  to: z
    .string()
    .min(1)
    .max(64)
    .default('now')
    .describe('End (exclusive); /d rounds up to the next plant midnight'),
};

export const sortDirection = z.enum(['asc', 'desc']).default('desc').describe('Sort direction');

export const limit = (max: number) =>
  z.coerce.number().int().min(1).max(max).default(1_000).describe(`Most rows returned (1-${max})`);

/** Strings matched against SYMBOL/VARCHAR columns: bound as parameters, so any text is safe; capped for sanity. */
export const filterText = (description: string) =>
  z.string().min(1).max(128).optional().describe(description);

/** A parameter that may repeat (`tag=a&tag=b`): Fastify hands one value as a string, several as an array. */
export const repeated = <Out>(item: z.ZodType<Out, string>) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .pipe(z.array(item));
