import { tagPath } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ColumnBatcher, TagSlot, type Flush, type TagColumns } from './column-batcher.js';

const a = new TagSlot(tagPath('p/q/r/a'), 'mqtt:p/q/r/a');
const b = new TagSlot(tagPath('p/q/r/b'), 'mqtt:p/q/r/b');
const columnsOf = (flush: Flush<number>): TagColumns[] =>
  flush.columns.map(({ tag, source, ts, values }) => ({ tag, source, ts: [...ts], values: [...values] }));

/** A deliver whose calls the test resolves one by one, recording what each carried. */
function controlledDeliver() {
  const calls: { columns: TagColumns[]; resolve: () => void }[] = [];
  const deliver = (flush: Flush<number>) =>
    new Promise<void>((resolve) => calls.push({ columns: columnsOf(flush), resolve }));
  return { calls, deliver };
}

describe('ColumnBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('collects each tag into columns and hands them over after the linger', async () => {
    const { calls, deliver } = controlledDeliver();
    const batcher = new ColumnBatcher<number>({ lingerMs: 20, maxSamples: 100 }, deliver);
    const first = batcher.add(a, epochUs(1), 1.5);
    batcher.add(b, epochUs(1), 'on');
    expect(batcher.add(a, epochUs(2), 2.5)).toBe(first);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(calls.map((call) => call.columns)).toEqual([
      [
        { tag: a.tag, source: a.source, ts: [1, 2], values: [1.5, 2.5] },
        { tag: b.tag, source: b.source, ts: [1], values: ['on'] },
      ],
    ]);
    expect(batcher.size).toBe(0);
  });

  it('keeps collecting while a delivery is under way and flushes as soon as it ends', async () => {
    const { calls, deliver } = controlledDeliver();
    const batcher = new ColumnBatcher<number>({ lingerMs: 20, maxSamples: 100 }, deliver);
    const first = batcher.add(a, epochUs(1), 1);
    await vi.advanceTimersByTimeAsync(20);
    expect(calls).toHaveLength(1);
    const second = batcher.add(a, epochUs(2), 2);
    await vi.advanceTimersByTimeAsync(100); // Kafka is slow: the linger passes, the flush waits
    batcher.add(a, epochUs(3), 3);
    expect(calls).toHaveLength(1);
    let firstSafe = false;
    void first.safe.then(() => (firstSafe = true));
    calls[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(firstSafe).toBe(true);
    // One message for the tag, with both samples that waited.
    expect(calls.map((call) => call.columns)).toEqual([
      [{ tag: a.tag, source: a.source, ts: [1], values: [1] }],
      [{ tag: a.tag, source: a.source, ts: [2, 3], values: [2, 3] }],
    ]);
    calls[1]?.resolve();
    await expect(second.safe).resolves.toBeUndefined();
  });

  it('flushes at once at maxSamples, even during a delivery, and splits a tag whose value type changes', async () => {
    const { calls, deliver } = controlledDeliver();
    const batcher = new ColumnBatcher<number>({ lingerMs: 1_000, maxSamples: 3 }, deliver);
    batcher.add(a, epochUs(1), 1);
    batcher.add(a, epochUs(2), 'text');
    batcher.add(a, epochUs(3), 3);
    batcher.add(b, epochUs(4), true);
    batcher.add(b, epochUs(5), false);
    batcher.add(b, epochUs(6), true);
    expect(calls.map((call) => call.columns)).toEqual([
      [
        { tag: a.tag, source: a.source, ts: [1, 3], values: [1, 3] },
        { tag: a.tag, source: a.source, ts: [2], values: ['text'] },
      ],
      [{ tag: b.tag, source: b.source, ts: [4, 5, 6], values: [true, false, true] }],
    ]);
  });

  it('settles a flush whose delivery failed, so what the caller holds is not held forever', async () => {
    const batcher = new ColumnBatcher<number>({ lingerMs: 5, maxSamples: 10 }, () =>
      Promise.reject(new Error('bug')),
    );
    const flush = batcher.add(a, epochUs(1), 1);
    await vi.advanceTimersByTimeAsync(5);
    await expect(flush.safe).resolves.toBeUndefined();
  });

  it('close() hands over what waits and resolves once every delivery ended', async () => {
    const { calls, deliver } = controlledDeliver();
    const batcher = new ColumnBatcher<number>({ lingerMs: 1_000, maxSamples: 10 }, deliver);
    batcher.add(a, epochUs(1), 1);
    let closed = false;
    const closing = batcher.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    expect(closed).toBe(false);
    calls[0]?.resolve();
    await closing;
    expect(closed).toBe(true);
  });

  it('refuses a maxSamples beyond one batch', () => {
    expect(() => new ColumnBatcher({ lingerMs: 1, maxSamples: 10_001 }, async () => undefined)).toThrow(
      RangeError,
    );
  });
});
