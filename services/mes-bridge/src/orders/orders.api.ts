import { identifierSchema, orderStateSchema, productionOrderSchema } from '@millrace/schema';
import { isoToUs } from '@millrace/time';
import { z } from 'zod';

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
export type OrderBody = z.output<typeof orderBodySchema>;

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
