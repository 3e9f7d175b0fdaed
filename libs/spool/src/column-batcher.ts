import type { SampleValue, TagPath } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';

type ValueType = 'number' | 'boolean' | 'string';

/** One tag's samples of one value type in one flush: the columns of one `plant.samples.v1` message. */
export interface TagColumns {
  readonly tag: TagPath;
  readonly source: string;
  readonly ts: EpochUs[];
  /** One type per column set (a tag whose type changes gets one set per type). */
  readonly values: SampleValue[];
}

interface OpenColumns extends TagColumns {
  /** The flush these columns belong to: columns of an earlier flush are closed. */
  readonly flush: Flush<unknown>;
}

/**
 * What the batcher keeps per tag between messages, so adding a sample is two array pushes: no key
 * string built, no map looked up. The caller owns one per tag (e.g. per MQTT topic).
 */
export class TagSlot {
  /** @internal The tag's open columns, by value type. */
  readonly open: { [type in ValueType]?: OpenColumns } = {};

  constructor(
    readonly tag: TagPath,
    readonly source: string,
  ) {}
}

/**
 * The samples handed over together, and whatever the caller holds until they are safe (e.g. the
 * MQTT PUBACKs of their messages). `safe` resolves once `deliver` settled, never rejects.
 */
export class Flush<Held> {
  readonly columns: TagColumns[] = [];
  samples = 0;
  readonly held: Held[] = [];
  readonly safe: Promise<void>;
  /** @internal */
  settle!: () => void;

  constructor() {
    this.safe = new Promise<void>((resolve) => {
      this.settle = resolve;
    });
  }
}

export interface ColumnBatcherOptions {
  /** A sample waits at least this long for others, unless `maxSamples` wait. */
  lingerMs: number;
  /** Hand over at once when this many samples wait, over all tags (at most 10 000, the cap of one batch). */
  maxSamples: number;
}

/**
 * Collects samples per tag into columns and hands them over as one {@link Flush}. The linger scales
 * with the load: a flush is due `lingerMs` after its first sample, but while an earlier flush is
 * still being delivered it keeps collecting (up to `maxSamples`) and goes as soon as that delivery
 * ends. At a trickle a sample waits `lingerMs`; under load a Kafka message holds as many samples of
 * its tag as arrived during one Kafka round trip, so Kafka's per-message cost is paid per many
 * samples instead of per one or two.
 */
export class ColumnBatcher<Held> {
  private open = new Flush<Held>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private delivering = 0;
  /** The linger ended while a delivery was under way: flush when it ends. */
  private due = false;
  private readonly underway = new Set<Promise<void>>();

  constructor(
    private readonly options: ColumnBatcherOptions,
    private readonly deliver: (flush: Flush<Held>) => Promise<void>,
  ) {
    if (options.maxSamples < 1 || options.maxSamples > 10_000) {
      throw new RangeError(`maxSamples must be 1 to 10000, got ${options.maxSamples}`);
    }
  }

  /** Samples waiting to be handed over. */
  get size(): number {
    return this.open.samples;
  }

  /** Adds one sample of `slot`'s tag; returns the flush that will carry it. */
  add(slot: TagSlot, ts: EpochUs, value: SampleValue): Flush<Held> {
    const flush = this.open;
    const type = typeof value as ValueType;
    let columns = slot.open[type];
    if (columns === undefined || columns.flush !== flush) {
      columns = { tag: slot.tag, source: slot.source, ts: [], values: [], flush };
      slot.open[type] = columns;
      flush.columns.push(columns);
    }
    columns.ts.push(ts);
    columns.values.push(value);
    flush.samples += 1;
    if (flush.samples >= this.options.maxSamples) this.flush();
    else if (this.timer === undefined && !this.due)
      this.timer = setTimeout(this.lingerEnded, this.options.lingerMs);
    return flush;
  }

  /** Hands over what waits now, delivered or not; resolves when every flush so far is safe. */
  async close(): Promise<void> {
    this.flush();
    await Promise.all([...this.underway]);
  }

  private readonly lingerEnded = (): void => {
    this.timer = undefined;
    if (this.delivering > 0) this.due = true;
    else this.flush();
  };

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = false;
    const flush = this.open;
    if (flush.samples === 0) return;
    this.open = new Flush<Held>();
    this.delivering += 1;
    const delivered = this.deliver(flush)
      .catch(() => undefined) // deliver handles its own failures; a bug there must not hold the PUBACKs forever
      .then(() => {
        this.delivering -= 1;
        this.underway.delete(delivered);
        flush.settle();
        // A tag's slot keeps its last columns until its next sample: let them go without the rest of the flush.
        flush.columns.length = 0;
        if (this.due && this.delivering === 0) this.flush();
      });
    this.underway.add(delivered);
  }
}
