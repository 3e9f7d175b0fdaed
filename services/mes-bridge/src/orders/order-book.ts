import type { ProductionOrder } from '@millrace/schema';
import { productionOrderSchema } from '@millrace/schema';
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { applyOrderUpdate, type OrderUpdate } from './order-state.js';

export type OrderOutcome =
  | { status: 200 | 201; body: { order: ProductionOrder; created: boolean; changed: boolean } }
  | { status: 409 | 422; body: { statusCode: number; error: string; message: string } };

export interface IdempotencyRequest {
  key: string;
  /** Hash of the request (route and parsed body): a key reused for another request is refused. */
  fingerprint: string;
}

const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const MAX_IDEMPOTENCY_KEYS = 50_000;
/** Ended orders kept in memory for the genealogy; older ones remain in QuestDB's `orders` table. */
const MAX_ORDERS = 20_000;

const stateFileSchema = z.object({
  orders: z.array(productionOrderSchema),
  idempotency: z.array(
    z.object({
      key: z.string(),
      fingerprint: z.string(),
      atMs: z.number(),
      status: z.union([z.literal(200), z.literal(201)]),
      body: z.unknown(),
    }),
  ),
});
type IdempotencyEntry = z.infer<typeof stateFileSchema>['idempotency'][number];

export function fingerprint(route: string, body: unknown): string {
  return createHash('sha256').update(route).update('\n').update(JSON.stringify(body)).digest('hex');
}

/**
 * The orders as the bridge knows them, with the responses of recent `Idempotency-Key` requests.
 * Every change is published first (`publish`: to `mes.orders.v1`), then kept and written to
 * `<dir>/orders.json` (write-temp, fsync, rename): a request that fails on the way stores nothing.
 * Changes run one at a time, so two concurrent requests for one order cannot both pass the check.
 */
export class OrderBook {
  private readonly orders = new Map<string, ProductionOrder>();
  private readonly idempotency = new Map<string, IdempotencyEntry>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly publish: (order: ProductionOrder) => Promise<void>,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.file = join(dir, 'orders.json');
    let text: string | undefined;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const state = stateFileSchema.parse(JSON.parse(text));
      for (const order of state.orders) this.orders.set(order.orderId, order);
      for (const entry of state.idempotency) this.idempotency.set(entry.key, entry);
    }
  }

  get(orderId: string): ProductionOrder | undefined {
    return this.orders.get(orderId);
  }

  /** Newest first (by the time they entered their state). */
  list(filter: { state?: string | undefined; line?: string | undefined; limit: number }): ProductionOrder[] {
    return [...this.orders.values()]
      .filter(
        (order) =>
          (filter.state === undefined || order.state === filter.state) &&
          (filter.line === undefined || order.line === filter.line),
      )
      .sort((a, b) => b.ts - a.ts)
      .slice(0, filter.limit);
  }

  all(): readonly ProductionOrder[] {
    return [...this.orders.values()];
  }

  runningOn(line: string): string | undefined {
    for (const order of this.orders.values())
      if (order.line === line && order.state === 'running') return order.orderId;
    return undefined;
  }

  /** Applies one update (upsert by order id), honouring an `Idempotency-Key`. */
  upsert(update: OrderUpdate, idempotency?: IdempotencyRequest): Promise<OrderOutcome> {
    const next = this.chain.then(() => this.apply(update, idempotency));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async apply(update: OrderUpdate, idempotency?: IdempotencyRequest): Promise<OrderOutcome> {
    const now = this.nowMs();
    if (idempotency) {
      const seen = this.idempotency.get(idempotency.key);
      if (seen && now - seen.atMs < IDEMPOTENCY_TTL_MS) {
        if (seen.fingerprint !== idempotency.fingerprint) {
          return {
            status: 422,
            body: {
              statusCode: 422,
              error: 'Unprocessable Entity',
              message: 'Idempotency-Key was already used for another request',
            },
          };
        }
        return {
          status: seen.status,
          body: seen.body as { order: ProductionOrder; created: boolean; changed: boolean },
        };
      }
    }
    const decision = applyOrderUpdate(this.orders.get(update.orderId), update, this.runningOn(update.line));
    if (!decision.ok)
      return { status: 409, body: { statusCode: 409, error: 'Conflict', message: decision.reason } };
    const outcome = {
      status: decision.created ? (201 as const) : (200 as const),
      body: { order: decision.order, created: decision.created, changed: decision.changed },
    };
    if (decision.changed) {
      await this.publish(decision.order);
      this.orders.set(decision.order.orderId, decision.order);
    }
    if (idempotency) {
      this.idempotency.set(idempotency.key, {
        key: idempotency.key,
        fingerprint: idempotency.fingerprint,
        atMs: now,
        ...outcome,
      });
    }
    if (decision.changed || idempotency) this.persist(now);
    return outcome;
  }

  private persist(now: number): void {
    for (const [key, entry] of this.idempotency) {
      if (now - entry.atMs >= IDEMPOTENCY_TTL_MS || this.idempotency.size > MAX_IDEMPOTENCY_KEYS)
        this.idempotency.delete(key);
      else break; // insertion order is time order
    }
    if (this.orders.size > MAX_ORDERS) {
      const ended = [...this.orders.values()]
        .filter((order) => order.state === 'completed' || order.state === 'aborted')
        .sort((a, b) => a.ts - b.ts);
      for (const order of ended.slice(0, this.orders.size - MAX_ORDERS)) this.orders.delete(order.orderId);
    }
    mkdirSync(this.dir, { recursive: true });
    const temp = `${this.file}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(
        fd,
        JSON.stringify({ orders: [...this.orders.values()], idempotency: [...this.idempotency.values()] }),
      );
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.file);
  }
}
