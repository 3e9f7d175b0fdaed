import { tagPathSchema } from '@millrace/schema';
import { z } from 'zod';
import type { RouteDoc } from '../http/openapi.js';
import { timeRangeShape } from '../http/params.js';

export const exportQuerySchema = z.object({
  tag: tagPathSchema.describe('Tag path'),
  ...timeRangeShape,
  format: z.enum(['csv']).default('csv').describe('Only csv for now'),
});

export const EXPORT_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/api/export',
    area: 'export',
    summary: 'Raw samples of one tag as CSV, streamed page by page (never buffered whole)',
    description:
      'Columns ts,tag,value,value_text,quality; ts is ISO-8601 UTC with microseconds. A failure after the ' +
      'first page cuts the stream short (the status is already sent): a complete file ends with a newline.',
    query: exportQuerySchema,
    response: z.string().describe('text/csv'),
  },
];
