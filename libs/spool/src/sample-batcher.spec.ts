import { tagPath } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SampleBatcher, type SampleColumns } from './sample-batcher.js';

const a = tagPath('p/q/r/a');
const b = tagPath('p/q/r/b');

describe('SampleBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('collects a tag into columns and hands the batches over after the linger', async () => {
    const delivered: SampleColumns[][] = [];
    const batcher = new SampleBatcher({ lingerMs: 20, maxSamples: 100 }, async (batches) => {
      delivered.push(batches);
    });
    batcher.add(a, 'opcua:x', epochUs(1), 1.5, 'good');
    batcher.add(b, 'opcua:x', epochUs(1), 'on', 'good');
    batcher.add(a, 'opcua:x', epochUs(2), 2.5, 'uncertain');
    expect(delivered).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(delivered).toEqual([
      [
        { tag: a, source: 'opcua:x', ts: [1, 2], values: [1.5, 2.5], quality: ['good', 'uncertain'] },
        { tag: b, source: 'opcua:x', ts: [1], values: ['on'] },
      ],
    ]);
    expect(batcher.size).toBe(0);
  });

  it('flushes at once at maxSamples and splits a tag whose value type changes', async () => {
    const delivered: SampleColumns[][] = [];
    const batcher = new SampleBatcher({ lingerMs: 1_000, maxSamples: 3 }, async (batches) => {
      delivered.push(batches);
    });
    batcher.add(a, 's', epochUs(1), 1, 'good');
    batcher.add(a, 's', epochUs(2), 'text', 'good');
    batcher.add(a, 's', epochUs(3), 3, 'bad');
    expect(delivered).toEqual([
      [
        { tag: a, source: 's', ts: [1, 3], values: [1, 3], quality: ['good', 'bad'] },
        { tag: a, source: 's', ts: [2], values: ['text'] },
      ],
    ]);
    await batcher.flush(); // nothing left: no empty delivery
    expect(delivered).toHaveLength(1);
  });

  it('refuses a cap above the size of one batch', () => {
    expect(() => new SampleBatcher({ lingerMs: 1, maxSamples: 10_001 }, async () => undefined)).toThrow(
      RangeError,
    );
  });

  it('resolves each add only once the flush that carries it has been delivered', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batcher = new SampleBatcher({ lingerMs: 1_000, maxSamples: 2 }, () => gate);
    let carried = false;
    const first = batcher.add(a, 's', epochUs(1), 1, 'good').then(() => {
      carried = true;
    });
    void batcher.add(a, 's', epochUs(2), 2, 'good'); // the cap: flushes both
    await Promise.resolve();
    expect(carried).toBe(false);
    release();
    await first;
    expect(carried).toBe(true);
  });
});
