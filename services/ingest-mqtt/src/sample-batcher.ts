import type { Sample, TagPath } from '@millrace/schema';

/** One tag's samples collected for one Kafka message. */
export interface TagBatch {
  tag: TagPath;
  source: string;
  samples: Sample[];
}

/**
 * Collects samples per tag and hands them over together: after `lingerMs`, or at once when
 * `maxSamples` are waiting. `add` returns the promise of the flush that will carry the sample, so a
 * caller can acknowledge its source only once that flush is safe.
 */
export class SampleBatcher {
  private batches = new Map<TagPath, TagBatch>();
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushed: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(
    private readonly options: { lingerMs: number; maxSamples: number },
    private readonly deliver: (batches: TagBatch[]) => Promise<void>,
  ) {}

  add(tag: TagPath, source: string, sample: Sample): Promise<void> {
    let batch = this.batches.get(tag);
    if (batch === undefined) {
      batch = { tag, source, samples: [] };
      this.batches.set(tag, batch);
    }
    batch.samples.push(sample);
    this.waiting += 1;
    this.flushed ??= deferred();
    const promise = this.flushed.promise;
    if (this.waiting >= this.options.maxSamples) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.lingerMs);
    return promise;
  }

  /** Hands over everything waiting now; resolves when `deliver` has. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const flushed = this.flushed;
    if (flushed === undefined) return Promise.resolve();
    const batches = [...this.batches.values()];
    this.batches = new Map();
    this.waiting = 0;
    this.flushed = undefined;
    // deliver never rejects (the service handles its own failures), so every waiting source is released.
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
