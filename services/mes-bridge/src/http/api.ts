import { productionOrderSchema } from '@millrace/schema';
import { z } from 'zod';
import {
  commandAcceptedSchema,
  commandBodySchema,
  commandsQuerySchema,
  commandsResponseSchema,
} from '../commands/commands.api.js';
import {
  instantSchema,
  orderBodySchema,
  orderIdParamSchema,
  orderResponseSchema,
  ordersQuerySchema,
  ordersResponseSchema,
  transitionBodySchema,
} from '../orders/orders.api.js';
import type { RouteDoc } from './openapi.js';

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

/** Every route of the bridge: the OpenAPI document, the auth test and the fuzz test are built from this list. */
export const MES_ROUTES: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/api/mes/orders',
    summary: 'Upsert a production order (from the MES); honours Idempotency-Key',
    roles: ['mes', 'engineer'],
    body: orderBodySchema,
    response: orderResponseSchema,
    status: 201,
    errors: [409, 422, 503],
  },
  {
    method: 'get',
    path: '/api/mes/orders',
    summary: 'Orders, newest first',
    query: ordersQuerySchema,
    response: ordersResponseSchema,
  },
  {
    method: 'get',
    path: '/api/mes/orders/{orderId}',
    summary: 'One order',
    params: orderIdParamSchema,
    response: productionOrderSchema,
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/mes/orders/{orderId}/state',
    summary: 'Move an order to its next state (running, completed, aborted)',
    roles: ['mes', 'engineer'],
    params: orderIdParamSchema,
    body: transitionBodySchema,
    response: orderResponseSchema,
    errors: [404, 409, 422, 503],
  },
  {
    method: 'get',
    path: '/api/mes/genealogy',
    summary: 'What was in production on a line at an instant: order, cell, coil',
    query: genealogyQuerySchema,
    response: genealogyResponseSchema,
  },
  {
    method: 'get',
    path: '/api/mes/genealogy/orders',
    summary: 'Orders that ran on a line within [from, to), with their start and end',
    query: lineOrdersQuerySchema,
    response: ordersResponseSchema,
  },
  {
    method: 'post',
    path: '/api/mes/commands',
    summary: 'Send a machine command (checked against the allow-list, bounds, step and rate; audited)',
    roles: ['operator'],
    body: commandBodySchema,
    response: commandAcceptedSchema,
    status: 202,
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/mes/commands',
    summary: 'Command audit (QuestDB machine_commands) and the latest results',
    query: commandsQuerySchema,
    response: commandsResponseSchema,
  },
  {
    method: 'get',
    path: '/api/mes/outbox',
    summary: 'Outbox to the MES: depth, dead letters, the item being delivered',
    response: outboxResponseSchema,
  },
];
