import { basename } from 'node:path';
import type { OutgoingMessage, PipelineProducer } from '@millrace/kafka';
import type { Logger } from '@millrace/observability';
import { encodeMessage, type TopicSpec } from '@millrace/schema';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DiskQueue, SpoolBatch } from './disk-queue.js';
import { SpoolError, SpoolFullError } from './errors.js';
import { decodeRecord, encodeRecord, type RawMessage, type SpoolRecord } from './record.js';

/** The part of {@link PipelineProducer} the publisher uses; tests pass a fake. */
export type KafkaSender = Pick<PipelineProducer, 'connect' | 'sendRaw'>;

export interface SpoolingPublisherOptions {
  producer: KafkaSender;
  queue: DiskQueue;
  logger: Logger;
  /** Registers `millrace_spool_*` metrics here, labelled with `name`. */
  metrics?: Registry;
  /** Label of this spool in logs and metrics; default the queue directory's name. */
  name?: string;
  /** Spool records sent per drain round; default 64. */
  drainBatchRecords?: number;
  /** About this many bytes per drain round; default 4 MiB. */
  drainBatchBytes?: number;
  /** Backoff between drain attempts while Kafka stays away: first wait, doubling up to the max. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /**
   * Messages Kafka refused for good while draining (e.g. MESSAGE_TOO_LARGE): they are logged,
   * counted, handed here, and dropped from the spool so they cannot block it.
   */
  onRefused?: (topic: string, messages: readonly RawMessage[], error: unknown) => void;
}

/** `sent`: Kafka acknowledged it (acks=all). `spooled`: it is fsynced in the spool and will be sent in order. */
export type PublishOutcome = 'sent' | 'spooled';

type CounterChild = { inc(value?: number): void };

interface Pending {
  record: SpoolRecord;
  resolve: (outcome: PublishOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Store-and-forward in front of a {@link PipelineProducer}. While Kafka answers and the spool is
 * empty, publishes go straight to Kafka (publishes arriving during a send are sent together next, so
 * one send is in flight and order holds). When a send fails because Kafka is unreachable, that send
 * and everything after it go to the disk spool, and a background drainer sends the spool in order
 * with backoff, advancing the spool's cursor only after Kafka acknowledged. Once the spool is empty,
 * publishing is direct again. A message Kafka refuses for good is rejected (direct) or handed to
 * `onRefused` (spooled); a full spool rejects with {@link SpoolFullError}.
 *
 * Delivery is at least once: a send whose acknowledgement was lost is spooled and sent again.
 * The idempotent producer drops such a repeat while its producer session lasts; downstream tables
 * dedup on their keys for the rest.
 */
export class SpoolingPublisher {
  private readonly producer: KafkaSender;
  private readonly queue: DiskQueue;
  private readonly logger: Logger;
  private readonly name: string;
  private readonly drainBatchRecords: number;
  private readonly drainBatchBytes: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly onRefused: SpoolingPublisherOptions['onRefused'];
  private readonly metrics: { full: CounterChild; refused: CounterChild } | undefined;
  private mode: 'direct' | 'spooling' = 'spooling';
  private connected = false;
  private pending: Pending[] = [];
  // Flags set and cleared in the same synchronous step as each loop's last check, so a kick cannot
  // fall between the check and the end; the promises are kept for stop() to await.
  private pumpRunning = false;
  private pumpDone: Promise<void> = Promise.resolve();
  private drainRunning = false;
  private drainDone: Promise<void> = Promise.resolve();
  private stopped = false;
  private wake: (() => void) | undefined;
  private fullLogged = false;

  constructor(options: SpoolingPublisherOptions) {
    this.producer = options.producer;
    this.queue = options.queue;
    this.name = options.name ?? basename(options.queue.options.dir);
    this.logger = options.logger.child({ component: 'spool', spool: this.name });
    this.drainBatchRecords = options.drainBatchRecords ?? 64;
    this.drainBatchBytes = options.drainBatchBytes ?? 4 * 1024 * 1024; // 4 MiB
    this.retryInitialMs = options.retryInitialMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 10_000;
    this.onRefused = options.onRefused;
    this.metrics = options.metrics ? this.registerMetrics(options.metrics) : undefined;
  }

  /** True while publishes go to the spool (Kafka unreachable, or the spool not yet drained). */
  get spooling(): boolean {
    return this.mode === 'spooling';
  }

  /** Records waiting in the spool. */
  get spoolDepth(): number {
    return this.queue.depth;
  }

  /**
   * Connects the producer. Resolves either way: if Kafka is unreachable, or the spool holds records
   * from before a restart, publishing starts in spooling mode and the drainer takes over.
   */
  async start(): Promise<void> {
    try {
      await this.producer.connect();
      this.connected = true;
    } catch (error) {
      this.logger.warn({ err: error }, 'Kafka unreachable at start-up: spooling to disk until it answers');
    }
    if (this.connected && this.queue.isEmpty) {
      this.mode = 'direct';
    } else {
      if (!this.queue.isEmpty)
        this.logger.info({ records: this.queue.depth }, 'spool holds records: draining');
      this.startDrainer();
    }
  }

  /**
   * Validates and encodes the messages (a schema failure rejects with the encoder's TypeError, nothing
   * sent), then sends or spools them after everything published before. Resolves once they are safe:
   * acknowledged by Kafka or fsynced in the spool.
   */
  publish<Spec extends TopicSpec>(
    spec: Spec,
    messages: readonly OutgoingMessage<Spec>[],
  ): Promise<PublishOutcome> {
    if (this.stopped) return Promise.reject(new SpoolError(`publisher ${this.name} is stopped`, false));
    if (messages.length === 0) return Promise.resolve('sent');
    let record: SpoolRecord;
    try {
      record = {
        topic: spec.name,
        messages: messages.map((message) => ({
          key: message.key,
          value: encodeMessage(spec, message.value),
          ...(message.headers ? { headers: message.headers } : {}),
        })),
      };
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<PublishOutcome>((resolve, reject) => {
      const item: Pending = { record, resolve, reject };
      if (this.mode === 'spooling') {
        this.spool([item]);
      } else {
        this.pending.push(item);
        if (!this.pumpRunning) this.pumpDone = this.pump();
      }
    });
  }

  /**
   * Waits for publishes under way, stops the drainer (what is left stays in the spool for the next
   * start) and closes the spool. The producer is the caller's to disconnect afterwards.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.pumpDone;
    this.wake?.();
    await this.drainDone;
    await this.queue.close();
  }

  private async pump(): Promise<void> {
    this.pumpRunning = true;
    try {
      while (this.mode === 'direct' && this.pending.length > 0) {
        const batch = this.pending.splice(0, this.pending.length);
        const unsent = await this.sendDirect(batch);
        if (unsent.items.length > 0) {
          this.mode = 'spooling';
          this.logger.warn(
            { err: unsent.error, dir: this.queue.options.dir },
            'Kafka unreachable: spooling to disk; the spool drains in order when Kafka returns',
          );
          // The failed send first, then what arrived meanwhile: order is kept across the switch.
          this.spool([...unsent.items, ...this.pending.splice(0, this.pending.length)]);
          this.startDrainer();
        }
      }
    } finally {
      // Same synchronous step as the loop's last check: a publish cannot slip in between.
      this.pumpRunning = false;
    }
  }

  /** Sends runs of same-topic publishes, one request each; returns what Kafka could not be reached for. */
  private async sendDirect(batch: Pending[]): Promise<{ items: Pending[]; error?: unknown }> {
    const runs = runsOf(batch, (item) => item.record.topic);
    for (const [index, run] of runs.entries()) {
      try {
        await this.send(
          run[0]?.record.topic ?? '',
          run.flatMap((item) => item.record.messages),
        );
        for (const item of run) item.resolve('sent');
      } catch (error) {
        if (!isKafkaRefusal(error)) return { items: runs.slice(index).flat(), error };
        // Kafka refused the request: find the publish it refused, keep the others.
        for (const [at, item] of run.entries()) {
          try {
            await this.send(item.record.topic, item.record.messages);
            item.resolve('sent');
          } catch (single) {
            if (!isKafkaRefusal(single))
              return { items: [...run.slice(at), ...runs.slice(index + 1).flat()], error: single };
            item.reject(single);
          }
        }
      }
    }
    return { items: [] };
  }

  private spool(items: Pending[]): void {
    for (const item of items) {
      try {
        this.queue.append([encodeRecord(item.record)]).then(() => item.resolve('spooled'), item.reject);
        this.fullLogged = false;
      } catch (error) {
        if (error instanceof SpoolFullError) {
          this.metrics?.full.inc();
          if (!this.fullLogged) {
            this.fullLogged = true;
            this.logger.error({ err: error }, 'spool full: refusing new messages until Kafka drains it');
          }
        }
        item.reject(error);
      }
    }
  }

  private startDrainer(): void {
    if (!this.drainRunning) this.drainDone = this.drain();
  }

  private async drain(): Promise<void> {
    this.drainRunning = true;
    let delay = this.retryInitialMs;
    let drained = 0;
    while (!this.stopped) {
      let failure: unknown;
      if (!this.connected) {
        try {
          await this.producer.connect();
          this.connected = true;
        } catch (error) {
          failure = error;
        }
      }
      if (this.connected) {
        try {
          const batch = this.queue.peek(this.drainBatchRecords, this.drainBatchBytes);
          if (batch.records.length === 0) {
            // Nothing left and no await since the peek: switching here cannot reorder a publish.
            this.mode = 'direct';
            this.drainRunning = false;
            this.logger.info(
              { records: drained },
              'Kafka reachable and spool drained: publishing directly again',
            );
            return;
          }
          const result = await this.sendSpooled(batch);
          this.queue.commit(batch, result.done);
          drained += result.done;
          failure = result.error;
        } catch (error) {
          // The spool itself failed (a disk error): say so and try again later.
          this.logger.error({ err: error }, 'spool unreadable: retrying');
          failure = error;
        }
      }
      if (failure === undefined) {
        delay = this.retryInitialMs;
        continue;
      }
      this.logger.debug({ err: failure, records: this.queue.depth, retryInMs: delay }, 'spool drain failed');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      delay = Math.min(delay * 2, this.retryMaxMs);
    }
    this.drainRunning = false;
  }

  /** Sends a peeked batch in runs of one topic; returns how many records are done (sent or refused). */
  private async sendSpooled(batch: SpoolBatch): Promise<{ done: number; error?: unknown }> {
    const records = batch.records.map((bytes, index) => ({ index, record: decodeRecord(bytes) }));
    let done = 0;
    for (const run of runsOf(records, (entry) => entry.record.topic)) {
      try {
        await this.send(
          run[0]?.record.topic ?? '',
          run.flatMap((entry) => entry.record.messages),
        );
        done += run.length;
      } catch (error) {
        if (!isKafkaRefusal(error)) return { done, error };
        for (const { record } of run) {
          try {
            await this.send(record.topic, record.messages);
          } catch (single) {
            if (!isKafkaRefusal(single)) return { done, error: single };
            this.metrics?.refused.inc(record.messages.length);
            this.logger.error(
              { err: single, topic: record.topic, messages: record.messages.length },
              'Kafka refused spooled messages for good: dropped from the spool',
            );
            this.onRefused?.(record.topic, record.messages, single);
          }
          done += 1;
        }
      }
    }
    return { done };
  }

  private send(topic: string, messages: readonly RawMessage[]): Promise<void> {
    return this.producer.sendRaw(
      topic,
      messages.map((message) => ({
        key: message.key,
        value: Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength),
        ...(message.headers ? { headers: message.headers } : {}),
      })),
    );
  }

  private registerMetrics(registry: Registry): { full: CounterChild; refused: CounterChild } {
    const labels = { spool: this.name };
    const queue = this.queue;
    const publisher = () => this.mode;
    new Gauge({
      name: 'millrace_spool_records',
      help: 'Records waiting in the store-and-forward spool',
      labelNames: ['spool'],
      registers: [registry],
      collect() {
        this.set(labels, queue.depth);
      },
    });
    new Gauge({
      name: 'millrace_spool_disk_bytes',
      help: 'Bytes of the spool segment files on disk (bounded by SPOOL_MAX_BYTES)',
      labelNames: ['spool'],
      registers: [registry],
      collect() {
        this.set(labels, queue.diskByteCount);
      },
    });
    new Gauge({
      name: 'millrace_spool_spooling',
      help: '1 while publishes go to the spool instead of straight to Kafka',
      labelNames: ['spool'],
      registers: [registry],
      collect() {
        this.set(labels, publisher() === 'spooling' ? 1 : 0);
      },
    });
    const full = new Counter({
      name: 'millrace_spool_full_refusals_total',
      help: 'Publishes refused because the spool was full',
      labelNames: ['spool'],
      registers: [registry],
    });
    const refused = new Counter({
      name: 'millrace_spool_refused_messages_total',
      help: 'Spooled messages Kafka refused for good and that were dropped',
      labelNames: ['spool'],
      registers: [registry],
    });
    return { full: full.labels(labels), refused: refused.labels(labels) };
  }
}

/** Splits a sequence into maximal runs of consecutive items with the same key, order kept. */
function runsOf<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const runs: T[][] = [];
  for (const item of items) {
    const last = runs[runs.length - 1];
    if (last?.[0] !== undefined && keyOf(last[0]) === keyOf(item)) last.push(item);
    else runs.push([item]);
  }
  return runs;
}

/**
 * True when Kafka answered and refused the request itself (a non-retriable protocol error such as
 * MESSAGE_TOO_LARGE): sending it again cannot help. Anything else (connection refused, timeouts,
 * retries exhausted, no leader) means Kafka could not be reached, and the messages are spooled.
 */
function isKafkaRefusal(error: unknown): boolean {
  const seen = new Set<unknown>();
  const stack: unknown[] = [error];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const candidate = current as { name?: unknown; retriable?: unknown; cause?: unknown; errors?: unknown };
    if (candidate.name === 'KafkaJSProtocolError' && candidate.retriable === false) return true;
    stack.push(candidate.cause);
    if (Array.isArray(candidate.errors)) stack.push(...(candidate.errors as unknown[]));
  }
  return false;
}
