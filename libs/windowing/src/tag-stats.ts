import type { EpochUs } from '@millrace/time';
import type { AddOutcome } from './tumbling-windows.js';

export interface TagCounts {
  onTime: number;
  late: number;
  tooLate: number;
  deadLetters: number;
}

export interface TagStatsRow extends TagCounts {
  readonly ts: EpochUs;
  readonly tag: string;
}

/**
 * Per-tag counts of what the pipeline did with each sample since the last drain: stored on time, late
 * (within the allowed lateness), too late, or dead-lettered. Drained into a table per interval, so a
 * tag that starts arriving late or malformed shows in its own row the minute it starts.
 */
export class TagStats {
  private counts = new Map<string, TagCounts>();

  /** The live counters of one tag: take once per batch, increment per sample. */
  of(tag: string): TagCounts {
    let counts = this.counts.get(tag);
    if (!counts) this.counts.set(tag, (counts = { onTime: 0, late: 0, tooLate: 0, deadLetters: 0 }));
    return counts;
  }

  count(counts: TagCounts, outcome: AddOutcome): void {
    if (outcome === 'accepted') counts.onTime += 1;
    else if (outcome === 'late') counts.late += 1;
    else counts.tooLate += 1;
  }

  /** Rows for every tag that saw anything since the last drain, stamped `ts`; the counters restart at zero. */
  drain(ts: EpochUs): TagStatsRow[] {
    const rows = [...this.counts].map(([tag, counts]) => ({ ts, tag, ...counts }));
    this.counts = new Map();
    return rows;
  }
}
