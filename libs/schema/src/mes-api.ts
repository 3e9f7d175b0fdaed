import { isoToUs } from '@millrace/time';
import { z } from 'zod';
import { commandResultSchema, orderStateSchema, productionOrderSchema } from './messages.js';
import { identifierSchema } from './primitives.js';

// The MES bridge's REST API (services/mes-bridge, forwarded by query-api under /api/mes/*): what it
// takes and what it answers, written once for the bridge, its OpenAPI document and the web app.

/** An ISO-8601 instant with its zone, to microseconds; the REST API's time format. */
export const instantSchema = z
  .string()
  .max(64)
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/,
    'must be an ISO-8601 instant with a zone',
  )
  .transform((text, context) => {
    try {
      return isoToUs(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/** What the MES pushes (or serves in pull mode): one order in its current state. */
export const orderBodySchema = z.object({
  orderId: identifierSchema.regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only'),
  line: identifierSchema.regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits and _ . - only'),
  product: z.string().min(1).max(256),
  quantity: z.number().int().positive().max(100_000_000),
  state: orderStateSchema.default('released'),
  /** When the order entered `state`; default: when the bridge received it. */
  ts: instantSchema.optional(),
});

export const transitionBodySchema = z.object({
  state: orderStateSchema,
  ts: instantSchema.optional(),
});

export const ordersQuerySchema = z.object({
  state: orderStateSchema.optional(),
  line: identifierSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

export const orderIdParamSchema = z.object({ orderId: identifierSchema });

/** What pull mode reads from `<MES url>/orders`. */
export const pulledOrdersSchema = z.object({ orders: z.array(z.unknown()).max(10_000) });

export const orderResponseSchema = z.object({
  order: productionOrderSchema,
  created: z.boolean(),
  changed: z.boolean(),
});
export const ordersResponseSchema = z.object({ orders: z.array(productionOrderSchema) });

// ---- commands ---------------------------------------------------------------------------------

/** What an operator sends; the bridge adds the id, the time and who issued it (from the token). */
export const commandBodySchema = z.object({
  machine: identifierSchema,
  setpoint: identifierSchema,
  value: z.number().finite(),
  unit: z.string().max(32).optional(),
  reason: z.string().min(1).max(1024),
  dryRun: z.boolean().default(false),
});

export const commandAcceptedSchema = z.object({
  commandId: z.uuid(),
  status: z.literal('queued'),
});

export const commandsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

export const auditRowSchema = z.object({
  ts: z.string(),
  commandId: z.string(),
  machine: z.string(),
  setpoint: z.string(),
  value: z.number().nullable(),
  reason: z.string().nullable(),
  issuedBy: z.string().nullable(),
  modelVersion: z.string().nullable(),
  result: z.string(),
  detail: z.string().nullable(),
});
export const commandsResponseSchema = z.object({
  audit: z.array(auditRowSchema),
  recentResults: z.array(commandResultSchema),
});

// ---- genealogy and the outbox ------------------------------------------------------------------

export const genealogyQuerySchema = z.object({
  line: z.string().min(1).max(128),
  /** Default: now. */
  at: instantSchema.optional(),
});
export const genealogyResponseSchema = z.object({
  line: z.string(),
  at: z.string(),
  order: productionOrderSchema.nullable(),
  cell: z.object({ cellId: z.string(), orderId: z.string(), assembledAt: z.string() }).nullable(),
  coil: z.object({ coilId: z.string(), start: z.string(), end: z.string() }).nullable(),
});
export const lineOrdersQuerySchema = z.object({
  line: z.string().min(1).max(128),
  from: instantSchema,
  to: instantSchema,
});

export const outboxResponseSchema = z.object({
  depth: z.number().int(),
  deadLetters: z.number().int(),
  delivering: z
    .object({
      id: z.string(),
      kind: z.string(),
      attempts: z.number(),
      lastError: z.string().optional(),
      nextAttemptAt: z.string().optional(),
    })
    .nullable(),
  oldestDeadLetters: z.array(z.unknown()),
});
