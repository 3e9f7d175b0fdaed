import { BadRequestException } from '@nestjs/common';
import type { z } from 'zod';

/** Parses a body, query or path with its zod schema; a failure is a 400 naming each failing field. */
export function parse<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what: 'body' | 'query' | 'path',
): z.output<Schema> {
  const result = schema.safeParse(input ?? (what === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((issue) => ({
    field: issue.path.map(String).join('.') || `(${what})`,
    reason: issue.message,
  }));
  throw new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: issues.map((issue) => `${issue.field}: ${issue.reason}`).join('; '),
    issues,
  });
}
