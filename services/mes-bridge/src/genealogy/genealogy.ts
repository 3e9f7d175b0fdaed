import type { ProductionOrder } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';

/**
 * The order in production on `line` at `at`: started at or before `at` and not ended by then. An
 * order aborted before it started was never in production. Ties (which the order book prevents for
 * new orders, but history may hold) go to the order started last.
 */
export function orderInProduction(
  orders: Iterable<ProductionOrder>,
  line: string,
  at: EpochUs,
): ProductionOrder | undefined {
  let found: ProductionOrder | undefined;
  for (const order of orders) {
    if (order.line !== line || order.startedAt === undefined || order.startedAt > at) continue;
    if (order.endedAt !== undefined && order.endedAt <= at) continue;
    if (!found || (found.startedAt ?? 0) < order.startedAt) found = order;
  }
  return found;
}

/** Orders that ran on `line` and overlap [from, to): the line's genealogy over a range. */
export function ordersOverlapping(
  orders: Iterable<ProductionOrder>,
  line: string,
  from: EpochUs,
  to: EpochUs,
): ProductionOrder[] {
  const out: ProductionOrder[] = [];
  for (const order of orders) {
    if (order.line !== line || order.startedAt === undefined || order.startedAt >= to) continue;
    if (order.endedAt !== undefined && order.endedAt <= from) continue;
    out.push(order);
  }
  return out.sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
}
