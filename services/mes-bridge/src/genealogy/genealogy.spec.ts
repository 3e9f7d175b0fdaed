import type { ProductionOrder } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { orderInProduction, ordersOverlapping } from './genealogy.js';

const order = (orderId: string, startedAt?: number, endedAt?: number, line = 'line1'): ProductionOrder => ({
  orderId,
  line,
  product: 'p',
  quantity: 1,
  state: endedAt !== undefined ? 'completed' : startedAt !== undefined ? 'running' : 'released',
  ts: epochUs(endedAt ?? startedAt ?? 0),
  ...(startedAt === undefined ? {} : { startedAt: epochUs(startedAt) }),
  ...(endedAt === undefined ? {} : { endedAt: epochUs(endedAt) }),
});

const orders = [order('a', 100, 200), order('b', 215), order('c'), order('x', 0, undefined, 'line2')];

describe('genealogy', () => {
  it('finds the order in production on a line at T, ends exclusive', () => {
    expect(orderInProduction(orders, 'line1', epochUs(100))?.orderId).toBe('a');
    expect(orderInProduction(orders, 'line1', epochUs(199))?.orderId).toBe('a');
    expect(orderInProduction(orders, 'line1', epochUs(200))).toBeUndefined(); // changeover
    expect(orderInProduction(orders, 'line1', epochUs(10_000))?.orderId).toBe('b');
    expect(orderInProduction(orders, 'line1', epochUs(50))).toBeUndefined();
    expect(orderInProduction(orders, 'line2', epochUs(150))?.orderId).toBe('x');
  });

  it('lists the orders overlapping a range in start order', () => {
    expect(ordersOverlapping(orders, 'line1', epochUs(150), epochUs(300)).map((o) => o.orderId)).toEqual([
      'a',
      'b',
    ]);
    expect(ordersOverlapping(orders, 'line1', epochUs(200), epochUs(210))).toEqual([]);
  });
});
