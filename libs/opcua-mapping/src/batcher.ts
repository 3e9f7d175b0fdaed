import type { Quality, TagPath } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';

/** One tag's samples of one value type from one source: the columns of one `plant.samples.v1` message. */
export interface ColumnBatch {
  tag: TagPath;
  source: string;
  ts: EpochUs[];
  values: number[] | boolean[] | string[];
  /** Absent when every sample is good (the message schema's convention). */
  quality?: Quality[];
}

interface Open {
  tag: TagPath;
  source: string;
  ts: EpochUs[];
  values: (number | boolean | string)[];
  quality: Quality[];
  allGood: boolean;
}

export interface ColumnBatcherOptions {
  /** A sample waits at most this long before it is handed over. */
  lingerMs: number;
  /** ...or until this many samples wait, over all tags (at most 10 000, the cap of one batch). */
  maxSamples: number;
}

/**
 * Collects samples per tag into column batches and hands them over together after `lingerMs`, or at
 * once when `maxSamples` wait. A batch holds one value type, so a tag whose type changes gets one
 * batch per type; batches of a tag keep their order. `deliver` is called once per flush; flushes
 * may overlap, so `deliver` must keep call order itself (the spooling publisher does).
 */
export class ColumnBatcher {
  private open = new Map<string, Open>();
  private waiting = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: ColumnBatcherOptions,
    private readonly deliver: (batches: ColumnBatch[]) => Promise<void>,
  ) {
    if (options.maxSamples < 1 || options.maxSamples > 10_000) {
      throw new RangeError(`maxSamples must be 1 to 10000, got ${options.maxSamples}`);
    }
  }

  /** Samples waiting to be handed over. */
  get size(): number {
    return this.waiting;
  }

  add(tag: TagPath, source: string, ts: EpochUs, value: number | boolean | string, quality: Quality): void {
    const key = `${tag}\u0000${source}\u0000${typeof value}`;
    let batch = this.open.get(key);
    if (batch === undefined) {
      batch = { tag, source, ts: [], values: [], quality: [], allGood: true };
      this.open.set(key, batch);
    }
    batch.ts.push(ts);
    batch.values.push(value);
    batch.quality.push(quality);
    if (quality !== 'good') batch.allGood = false;
    this.waiting += 1;
    if (this.waiting >= this.options.maxSamples) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.lingerMs);
  }

  /** Hands over everything waiting now; resolves when `deliver` has. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting === 0) return Promise.resolve();
    const batches: ColumnBatch[] = [];
    for (const open of this.open.values()) {
      batches.push({
        tag: open.tag,
        source: open.source,
        ts: open.ts,
        // One value type per open batch (the key holds typeof value), so the cast holds.
        values: open.values as number[],
        ...(open.allGood ? {} : { quality: open.quality }),
      });
    }
    this.open = new Map();
    this.waiting = 0;
    return this.deliver(batches);
  }
}
