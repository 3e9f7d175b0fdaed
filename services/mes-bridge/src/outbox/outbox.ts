import type { Logger } from '@millrace/observability';
import { DiskQueue, type SpoolBatch } from '@millrace/spool';
import { nowUs, usToIso, type EpochUs } from '@millrace/time';
import { Counter, Gauge, type Registry } from 'prom-client';
import { join } from 'node:path';
import { z } from 'zod';
import { nextStep, type DeliveryFailure, type RetryPolicy } from './retry-policy.js';

export const outboxItemSchema = z.object({
  /** Unique per item; sent as `Idempotency-Key`. */
  id: z.string().min(1).max(256),
  kind: z.enum(['qc-result', 'machine-summary']),
  createdTs: z.number().int().min(0),
  payload: z.unknown(),
});
export type OutboxItem = z.infer<typeof outboxItemSchema>;

export interface DeadLetterEntry {
  item: OutboxItem | { undecodable: string };
  reason: string;
  attempts: number;
  ts: string;
}

export interface OutboxStatus {
  depth: number;
  deadLetters: number;
  delivering: {
    id: string;
    kind: string;
    attempts: number;
    lastError?: string;
    nextAttemptAt?: string;
  } | null;
}

export interface OutboxOptions {
  dir: string;
  maxBytes: number;
  policy: RetryPolicy;
  /** Sends one item; throws a {@link DeliveryFailure} (with `retriable`) when the MES did not take it. */
  deliver: (item: OutboxItem) => Promise<void>;
  metrics: Registry;
  logger: Logger;
}

/**
 * Persisted outbox to the MES: items are fsynced to a {@link DiskQueue} before the caller goes on (so
 * a Kafka offset is committed only for what is safe on disk) and delivered in order, one at a time;
 * an item is committed off the queue only after the MES answered 2xx. A failed delivery is retried with
 * backoff; after `maxAttempts` (or a refusal the MES will repeat) the item moves to a second queue,
 * the dead letter, and the next one goes. Delivery is at least once: a crash between the MES's answer
 * and the commit sends that item again, with the same `Idempotency-Key`. Attempt counts live in memory:
 * a restart gives the head item a fresh set of tries.
 */
export class Outbox {
  private readonly queue: DiskQueue;
  private readonly dead: DiskQueue;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private interrupt: (() => void) | undefined;
  private current: OutboxStatus['delivering'] = null;
  private readonly delivered: Counter<'kind'>;
  private readonly failures: Counter<'kind'>;

  constructor(private readonly options: OutboxOptions) {
    const opened = DiskQueue.open({ dir: join(options.dir, 'pending'), maxBytes: options.maxBytes });
    const dead = DiskQueue.open({ dir: join(options.dir, 'dead'), maxBytes: options.maxBytes });
    for (const [name, report] of [
      ['pending', opened.report],
      ['dead', dead.report],
    ] as const) {
      if (report.truncated.length > 0 || report.cursorReset) {
        options.logger.warn({ queue: name, report }, 'outbox had a torn tail (crash while writing)');
      }
    }
    this.queue = opened.queue;
    this.dead = dead.queue;
    const queue = this.queue;
    const deadQueue = this.dead;
    new Gauge({
      name: 'millrace_mes_outbox_depth',
      help: 'Items waiting in the outbox to the MES',
      registers: [options.metrics],
      collect() {
        this.set(queue.depth);
      },
    });
    new Gauge({
      name: 'millrace_mes_outbox_dead_letters',
      help: 'Items the MES never took, kept in the outbox dead letter',
      registers: [options.metrics],
      collect() {
        this.set(deadQueue.depth);
      },
    });
    this.delivered = new Counter({
      name: 'millrace_mes_outbox_delivered_total',
      help: 'Items delivered to the MES, by kind',
      labelNames: ['kind'],
      registers: [options.metrics],
    });
    this.failures = new Counter({
      name: 'millrace_mes_outbox_failures_total',
      help: 'Failed delivery attempts to the MES, by kind',
      labelNames: ['kind'],
      registers: [options.metrics],
    });
  }

  /** Resolves once the items are fsynced; throws SpoolFullError (retriable) when the outbox is at its bound. */
  async append(items: readonly OutboxItem[]): Promise<void> {
    await this.queue.append(items.map((item) => Buffer.from(JSON.stringify(item))));
    this.wake?.();
  }

  status(): OutboxStatus {
    return { depth: this.queue.depth, deadLetters: this.dead.depth, delivering: this.current };
  }

  /** The oldest dead letters, for the API. */
  deadLetters(limit: number): DeadLetterEntry[] {
    if (this.dead.isEmpty) return [];
    return this.dead
      .peek(limit)
      .records.map((record) => JSON.parse(record.toString('utf8')) as DeadLetterEntry);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.interrupt?.();
    await this.loop;
    await this.queue.close();
    await this.dead.close();
  }

  private async run(): Promise<void> {
    let attempts = 0;
    while (this.running) {
      if (this.queue.isEmpty) {
        await this.pause(5_000, true);
        continue;
      }
      const batch = this.queue.peek(1);
      const record = batch.records[0];
      if (record === undefined) {
        await this.pause(1_000);
        continue;
      }
      const item = decode(record);
      if (item === undefined) {
        await this.deadLetter(batch, { undecodable: record.toString('base64') }, 'not an outbox item', 0);
        continue;
      }
      attempts += 1;
      this.current = { id: item.id, kind: item.kind, attempts };
      try {
        await this.options.deliver(item);
        this.queue.commit(batch);
        this.delivered.inc({ kind: item.kind });
        attempts = 0;
        this.current = null;
      } catch (error) {
        this.failures.inc({ kind: item.kind });
        const failure = asFailure(error);
        const step = nextStep(attempts, failure, this.options.policy);
        if (step.action === 'dead-letter') {
          this.options.logger.warn(
            { id: item.id, kind: item.kind, reason: step.reason },
            'outbox item dead-lettered',
          );
          await this.deadLetter(batch, item, step.reason, attempts);
          attempts = 0;
          continue;
        }
        this.current = {
          id: item.id,
          kind: item.kind,
          attempts,
          lastError: failure.reason,
          nextAttemptAt: usToIso((nowUs() + step.delayMs * 1000) as EpochUs),
        };
        if (attempts === 1)
          this.options.logger.warn({ id: item.id, reason: failure.reason }, 'MES delivery failed; retrying');
        await this.pause(step.delayMs);
      }
    }
  }

  private async deadLetter(
    batch: SpoolBatch,
    item: DeadLetterEntry['item'],
    reason: string,
    attempts: number,
  ) {
    const entry: DeadLetterEntry = { item, reason, attempts, ts: usToIso(nowUs()) };
    try {
      await this.dead.append([Buffer.from(JSON.stringify(entry))]);
    } catch (error) {
      // The dead letter is full: the item is lost, but it must not block every item behind it.
      this.options.logger.error({ err: error, entry }, 'outbox dead letter is full; item dropped');
    }
    this.queue.commit(batch);
    this.current = null;
  }

  /** Waits `ms`; stop() ends any wait, and an append ends an idle one (but never a backoff). */
  private pause(ms: number, untilAppend = false): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.interrupt = done;
      if (untilAppend) this.wake = done;
    });
  }
}

function decode(record: Buffer): OutboxItem | undefined {
  try {
    const parsed = outboxItemSchema.safeParse(JSON.parse(record.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function asFailure(error: unknown): DeliveryFailure {
  const candidate = error as Partial<DeliveryFailure> & { message?: string };
  return {
    retriable: candidate.retriable ?? true,
    reason: candidate.reason ?? candidate.message ?? String(error),
  };
}
