import { commandResultSchema, identifierSchema } from '@millrace/schema';
import { z } from 'zod';

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
