import type { Quality, TagPath } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';

/** One tag's samples of one value type from one source: the columns of one `plant.samples.v1` message. */
export interface SampleColumns {
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

export interface SampleBatcherOptions {
  /** A sample waits at most this long before it is handed over. */
  lingerMs: number;
  /** ...or until this many samples wait, over all tags (at most 10 000, the cap of one batch). */
  maxSamples: number;
}

/**
 * Collects an ingest's samples per tag into column batches (one `plant.samples.v1` message each) and
 * hands them over together after `lingerMs`, or at once when `maxSamples` wait. A batch holds one value
 * type, so a tag whose type changes gets one batch per type; batches of a tag keep their order.
 * `deliver` is called once per flush; flushes may overlap, so `deliver` must keep call order itself (the
 * spooling publisher does). `add` returns the promise of the flush that carries the sample, so a source
 * that acknowledges (an MQTT PUBACK) can wait until the sample is safe.
 */
export class SampleBatcher {
  private open = new Map<string, Open>();
  private waiting = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushed: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(
    private readonly options: SampleBatcherOptions,
    private readonly deliver: (batches: SampleColumns[]) => Promise<void>,
  ) {
    if (options.maxSamples < 1 || options.maxSamples > 10_000) {
      throw new RangeError(`maxSamples must be 1 to 10000, got ${options.maxSamples}`);
    }
  }

  /** Samples waiting to be handed over. */
  get size(): number {
    return this.waiting;
  }

  add(
    tag: TagPath,
    source: string,
    ts: EpochUs,
    value: number | boolean | string,
    quality: Quality,
  ): Promise<void> {
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
    this.flushed ??= deferred();
    const carried = this.flushed.promise;
    if (this.waiting >= this.options.maxSamples) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.lingerMs);
    return carried;
  }

  /** Hands over everything waiting now; resolves when `deliver` has. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const flushed = this.flushed;
    if (this.waiting === 0 || flushed === undefined) return Promise.resolve();
    const batches: SampleColumns[] = [];
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
    this.flushed = undefined;
    // Every waiting source is released whatever deliver does: its own failures are the caller's to handle.
    return this.deliver(batches).finally(flushed.resolve);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
