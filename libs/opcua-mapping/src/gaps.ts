import type { EpochUs } from '@millrace/time';

/** An outage of an endpoint: no data from `start` to `end` (a row of `ingest_gaps`). */
export interface Gap {
  endpoint: string;
  source: string;
  start: EpochUs;
  end: EpochUs;
}

/**
 * Gap bookkeeping of one endpoint. The gap starts at the last sign of life (a value or a keep-alive),
 * not when the loss was noticed, which can be a silence timeout later; it ends when the monitored items
 * are back. Until the first contact, the gap of an endpoint that cannot be reached starts at the first
 * failed attempt; if it is reached within `startupGraceUs` of that, there was no outage, only a start
 * (a collector started beside its server, as `millrace start` does, would record one on every start).
 */
export class GapTracker {
  private lastContact: EpochUs | undefined;
  private openSince: EpochUs | undefined;
  private everReached = false;

  constructor(
    readonly endpoint: string,
    readonly source: string,
    private readonly startupGraceUs = 0,
  ) {}

  /** A value or keep-alive arrived. */
  contact(now: EpochUs): void {
    this.lastContact = now;
  }

  /** The endpoint was lost (or could not be reached); opens a gap unless one is open. True when it opened one. */
  lost(now: EpochUs): boolean {
    if (this.openSince !== undefined) return false;
    this.openSince = this.lastContact !== undefined && this.lastContact < now ? this.lastContact : now;
    return true;
  }

  /** Data flows again; closes the open gap, if any, and returns it. */
  restored(now: EpochUs): Gap | undefined {
    this.lastContact = now;
    const start = this.openSince;
    const firstContact = !this.everReached;
    this.everReached = true;
    if (start === undefined) return undefined;
    this.openSince = undefined;
    if (firstContact && now - start < this.startupGraceUs) return undefined;
    return { endpoint: this.endpoint, source: this.source, start, end: now };
  }

  /** Start of the open gap. */
  get openGapStart(): EpochUs | undefined {
    return this.openSince;
  }
}
