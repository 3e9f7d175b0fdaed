import { Backoff, type Gap } from '@millrace/opcua-mapping';
import type { Logger } from '@millrace/observability';
import type { IlpWriter } from '@millrace/questdb';
import { TABLES } from '@millrace/schema';
import type { IngestOpcuaMetrics } from './metrics.js';

/** At most this many gaps wait in memory for QuestDB; older ones are logged and dropped first. */
const MAX_PENDING = 10_000;

/**
 * Writes gap events to `ingest_gaps` (ts = start, end_ts = end) in the background, retrying with
 * backoff while QuestDB is away, so an endpoint's reconnect never waits on the store. Dedup keys
 * (ts, endpoint) make a repeated write harmless.
 */
export class GapRecorder {
  private pending: Gap[] = [];
  private running: Promise<void> | undefined;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly writer: Pick<IlpWriter, 'write'>,
    private readonly logger: Logger,
    private readonly metrics: IngestOpcuaMetrics | undefined,
  ) {}

  record(gap: Gap): void {
    this.logger.warn(
      { endpoint: gap.endpoint, start: gap.start, end: gap.end, seconds: (gap.end - gap.start) / 1e6 },
      'endpoint outage ended: gap recorded',
    );
    this.metrics?.gaps.inc({ endpoint: gap.endpoint });
    this.pending.push(gap);
    if (this.pending.length > MAX_PENDING) {
      this.logger.error({ gap: this.pending.shift() }, 'too many gaps waiting for QuestDB: oldest dropped');
    }
    this.metrics?.gapsUnwritten.set(this.pending.length);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Tries once more to write what waits, then gives up (logging each lost gap). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    if (this.pending.length > 0 && !(await this.writeOnce())) {
      for (const gap of this.pending) this.logger.error({ gap }, 'gap not written to QuestDB at shutdown');
    }
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 && !this.stopped) {
      if (await this.writeOnce()) {
        this.backoff.reset();
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.backoff.next());
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async writeOnce(): Promise<boolean> {
    const gaps = this.pending.slice();
    try {
      await this.writer.write(
        TABLES.ingestGaps,
        gaps.map((gap) => ({ ts: gap.start, endpoint: gap.endpoint, source: gap.source, end_ts: gap.end })),
      );
    } catch (error) {
      this.logger.warn({ err: error, gaps: gaps.length }, 'cannot write gaps to QuestDB yet: retrying');
      return false;
    }
    this.pending.splice(0, gaps.length);
    this.metrics?.gapsUnwritten.set(this.pending.length);
    return true;
  }
}
