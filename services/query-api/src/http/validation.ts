import { BadRequestException } from '@nestjs/common';
import { TimeRangeError } from '@millrace/timerange';
import type { z } from 'zod';

/** Parses query parameters with their zod schema; a bad one is a 400 that names each failing parameter. */
export function parseQuery<Schema extends z.ZodType>(schema: Schema, query: unknown): z.infer<Schema> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    parameter: issue.path.map(String).join('.') || '(query)',
    reason: issue.message,
  }));
  throw new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: issues.map((issue) => `${issue.parameter}: ${issue.reason}`).join('; '),
    issues,
  });
}

/** A 400 with one reason, for checks that need more than the schema (config limits, the tag catalog). */
export function badRequest(message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message });
}

/** Runs time-range code, turning its input errors into 400s. */
export function resolving<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof TimeRangeError) throw badRequest(error.message);
    throw error;
  }
}
