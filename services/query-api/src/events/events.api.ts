import { riskReasonSchema } from '@millrace/schema';
import { isoToUs } from '@millrace/time';
import { z } from 'zod';
import type { RouteDoc } from '../http/openapi.js';
import { repeated, timeRangeShape } from '../http/params.js';

export const EVENT_KINDS = ['risk', 'order', 'command', 'annotation', 'gap'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const eventsQuerySchema = z.object({
  ...timeRangeShape,
  kind: repeated(z.enum(EVENT_KINDS))
    .optional()
    .describe('Event kind; repeat for several; all kinds when absent'),
  risk: z
    .enum(['high', 'all'])
    .default('high')
    .describe('Risk events: only high-risk cells (default) or every scored cell'),
});

export const eventSchema = z.object({
  kind: z.enum(EVENT_KINDS),
  ts: z.string().describe('ISO-8601, UTC, microseconds'),
  endTs: z.string().optional().describe('End of an event with a duration (an outage, a ranged annotation)'),
  title: z.string(),
  text: z.string(),
  tags: z.array(z.string()).optional(),
  severity: z.enum(['info', 'low', 'warning', 'high']).optional(),
  id: z.string().optional().describe('Annotation id'),
  risk: z
    .object({
      cellId: z.string(),
      orderId: z.string(),
      riskClass: z.string(),
      probability: z.number().nullable(),
      recommendation: z.string(),
      modelVersion: z.string(),
      reasons: z.array(riskReasonSchema).describe('Top contributing features with their values'),
      unknownReason: z.string().nullable().describe('Why a cell could not be scored'),
    })
    .optional()
    .describe('A risk event in full, for tables'),
});
export type TimelineEvent = z.infer<typeof eventSchema>;

export const eventsResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  events: z.array(eventSchema).describe('Sorted by ts; at most the configured maximum per kind (the newest)'),
});
export type EventsResponse = z.infer<typeof eventsResponseSchema>;

/** An ISO-8601 instant with a zone (`Z` or an offset): an annotation time is never guessed in a zone. */
const instant = z
  .string()
  .max(64)
  .refine((text) => {
    try {
      isoToUs(text);
      return true;
    } catch {
      return false;
    }
  }, 'must be an ISO-8601 instant with a zone, e.g. 2026-03-01T10:00:00Z');

export const annotationBodySchema = z
  .object({
    ts: instant,
    endTs: instant.optional(),
    text: z.string().trim().min(1).max(4_096),
    tags: z.array(z.string().trim().min(1).max(64)).max(32).optional(),
    author: z.string().trim().min(1).max(128).optional(),
  })
  .strict()
  .superRefine((body, context) => {
    if (body.endTs !== undefined && isoToUs(body.endTs) < isoToUs(body.ts))
      context.addIssue({ code: 'custom', path: ['endTs'], message: 'must not be before ts' });
  });

export const annotationSchema = z.object({
  id: z.string(),
  ts: z.string(),
  endTs: z.string().optional(),
  text: z.string(),
  tags: z.array(z.string()),
  author: z.string().optional(),
});
export type Annotation = z.infer<typeof annotationSchema>;

export const EVENT_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/api/events',
    area: 'events',
    summary: 'Risk events, order state changes, machine commands, source outages and annotations',
    query: eventsQuerySchema,
    response: eventsResponseSchema,
  },
  {
    method: 'post',
    path: '/api/annotations',
    area: 'events',
    summary: 'Adds an annotation on the time axis (answers 201 with its id)',
    description: 'Not authenticated yet: authentication comes with the access-control issue.',
    body: annotationBodySchema,
    response: annotationSchema,
  },
];
