import { epochMs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import type { CellOrder } from './cells.js';
import { MesOrderFeed } from './mes.js';

const order = (orderId: string, startedMs: number): CellOrder => ({
  orderId,
  product: 'High Capacity Cell',
  quantity: 10,
  produced: 0,
  startedMs: epochMs(startedMs),
});

describe('MesOrderFeed', () => {
  it('releases, runs and completes orders as the line moves on, and changes its ETag only on change', () => {
    const feed = new MesOrderFeed('line1');
    expect(feed.observe(order('1', 1_000), 1_000)).toBe(true);
    expect(feed.list()).toEqual([
      expect.objectContaining({ orderId: '1', state: 'running', ts: new Date(1_000).toISOString() }),
    ]);
    const etag = feed.etag;
    expect(feed.observe(order('1', 1_000), 2_000)).toBe(false);
    expect(feed.etag).toBe(etag);
    // The next order starts after a changeover.
    expect(feed.observe(order('2', 20_000), 5_000)).toBe(true);
    expect(feed.list().map((entry) => [entry.orderId, entry.state])).toEqual([
      ['1', 'completed'],
      ['2', 'released'],
    ]);
    feed.observe(order('2', 20_000), 20_000);
    expect(feed.list()[1]).toMatchObject({ state: 'running', ts: new Date(20_000).toISOString() });
    expect(feed.etag).not.toBe(etag);
  });
});
