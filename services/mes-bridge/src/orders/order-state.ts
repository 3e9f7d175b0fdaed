import type { OrderState, ProductionOrder } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';

/** What the MES says about an order: its data and the state it is in now, since `ts`. */
export interface OrderUpdate {
  orderId: string;
  line: string;
  product: string;
  quantity: number;
  state: OrderState;
  ts: EpochUs;
}

export type OrderDecision =
  { ok: true; order: ProductionOrder; changed: boolean; created: boolean } | { ok: false; reason: string };

/** released → running → completed | aborted; a released order may also be aborted. */
const NEXT: Readonly<Record<OrderState, readonly OrderState[]>> = {
  released: ['running', 'aborted'],
  running: ['completed', 'aborted'],
  completed: [],
  aborted: [],
};

export function canTransition(from: OrderState, to: OrderState): boolean {
  return NEXT[from].includes(to);
}

/** The timestamp field a state sets when an order enters it. */
function stamp(state: OrderState, ts: EpochUs): Partial<ProductionOrder> {
  if (state === 'released') return { releasedAt: ts };
  if (state === 'running') return { startedAt: ts };
  return { endedAt: ts };
}

/**
 * Applies an MES update to the order as the bridge knows it (upsert by order id). A new order is taken
 * in whatever state the MES reports (the bridge may have missed its release); a known one may only move
 * along {@link NEXT}, never back in time, and keeps its line. The same state again is a no-op, except
 * that a released order's product and quantity may still be amended. `runningOnLine` is the order
 * running on the update's line, if another: two orders in production on one line at once would make
 * "what ran on line L at T" ambiguous, so starting one there is refused until the other ends.
 */
export function applyOrderUpdate(
  existing: ProductionOrder | undefined,
  update: OrderUpdate,
  runningOnLine: string | undefined,
): OrderDecision {
  const startsOnBusyLine =
    update.state === 'running' && runningOnLine !== undefined && runningOnLine !== update.orderId;
  if (startsOnBusyLine) {
    return {
      ok: false,
      reason: `line ${update.line} is running order ${runningOnLine}; complete or abort it before starting ${update.orderId}`,
    };
  }
  if (existing === undefined) {
    const order: ProductionOrder = {
      orderId: update.orderId,
      line: update.line,
      product: update.product,
      quantity: update.quantity,
      state: update.state,
      ts: update.ts,
      ...stamp(update.state, update.ts),
    };
    return { ok: true, order, changed: true, created: true };
  }
  if (existing.line !== update.line) {
    return {
      ok: false,
      reason: `order ${update.orderId} belongs to line ${existing.line}, not ${update.line}`,
    };
  }
  const amended = existing.product !== update.product || existing.quantity !== update.quantity;
  if (existing.state === update.state) {
    if (!amended) return { ok: true, order: existing, changed: false, created: false };
    if (existing.state !== 'released') {
      return {
        ok: false,
        reason: `order ${update.orderId} is ${existing.state}; product and quantity can change only while released`,
      };
    }
    const order = { ...existing, product: update.product, quantity: update.quantity, ts: update.ts };
    return { ok: true, order, changed: true, created: false };
  }
  if (!canTransition(existing.state, update.state)) {
    const allowed = NEXT[existing.state];
    return {
      ok: false,
      reason:
        `order ${update.orderId} is ${existing.state}; it cannot become ${update.state}` +
        (allowed.length > 0 ? ` (only ${allowed.join(' or ')})` : ` (${existing.state} is final)`),
    };
  }
  if (update.ts < existing.ts) {
    return {
      ok: false,
      reason: `order ${update.orderId} entered ${existing.state} at ${existing.ts} µs; ${update.state} at ${update.ts} µs would go back in time`,
    };
  }
  if (amended && existing.state !== 'released') {
    return {
      ok: false,
      reason: `order ${update.orderId} is ${existing.state}; product and quantity can change only while released`,
    };
  }
  const order: ProductionOrder = {
    ...existing,
    product: update.product,
    quantity: update.quantity,
    state: update.state,
    ts: update.ts,
    ...stamp(update.state, update.ts),
  };
  return { ok: true, order, changed: true, created: false };
}

/** Pulled snapshots may hold an order's end and the next one's start: apply endings first. */
export function inApplyOrder(updates: readonly OrderUpdate[]): OrderUpdate[] {
  const weight: Record<OrderState, number> = { completed: 0, aborted: 0, released: 1, running: 2 };
  return [...updates].sort((a, b) => weight[a.state] - weight[b.state] || a.ts - b.ts);
}
