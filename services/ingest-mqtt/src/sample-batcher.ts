import type { MappedSample } from '@millrace/mqtt-mapping';
import type { SampleValue, TagPath } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';

/** One tag's samples of one value type, as the columns of one sample batch message. */
export interface TagBatch {
  tag: TagPath;
  source: string;
  ts: EpochUs[];
  values: SampleValue[];
}

/**
 * Collects samples per tag and hands them over together: after `lingerMs`, or at once when
 * `maxSamples` are waiting. `add` returns the promise of the flush that will carry the sample, so a
 * caller can acknowledge its source only once that flush is safe. A sample batch holds values of one
 * type, so a tag whose value changes type (a number, then a string) gets one batch per type.
 */
export class SampleBatcher {
  private batches = new Map<string, TagBatch>();
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushed: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(
    private readonly options: { lingerMs: number; maxSamples: number },
    private readonly deliver: (batches: TagBatch[]) => Promise<void>,
  ) {}

  add(tag: TagPath, source: string, sample: MappedSample): Promise<void> {
    const key = `${tag}\u0000${typeof sample.value}`;
    let batch = this.batches.get(key);
    if (batch === undefined) {
      batch = { tag, source, ts: [], values: [] };
      this.batches.set(key, batch);
    }
    batch.ts.push(sample.ts);
    batch.values.push(sample.value);
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
