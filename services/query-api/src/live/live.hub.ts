import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { QueryApiConfig } from '@millrace/config';
import { createKafka } from '@millrace/kafka';
import type { Observability } from '@millrace/observability';
import type { QueryClient } from '@millrace/questdb';
import { decodeMessage, describeIssues, TABLES, TOPICS, type SampleBatch } from '@millrace/schema';
import { epochMs, epochUs, msToUs, usToIso, usToMs, type EpochUs } from '@millrace/time';
import type { Consumer } from 'kafkajs';
import { Counter, Gauge } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { subscribeSchema, type LiveColumns, type ServerMessage } from './live.api.js';

export const LIVE_PATH = '/api/live';
/** Live batches kept for a new subscriber: they may not be in QuestDB yet (the processor's write latency). */
const RECENT_MS = 30_000;
const RECENT_MAX_SAMPLES = 200_000;
/** Samples queued for one client while its backfill query runs. */
const PENDING_MAX_SAMPLES = 100_000;

interface Client {
  readonly socket: WebSocket;
  tags: Set<string>;
  /** Set while the backfill runs: live batches wait here, then only newer samples are sent. */
  pending: SampleBatch[] | undefined;
  /** Per tag, the newest source ts sent (µs): the de-duplication across backfill, buffer and live. */
  lastSent: Map<string, EpochUs>;
  dropped: number;
  droppingSince: number | undefined;
  generation: number;
}

const toValue = (value: number | boolean | string): number | string =>
  typeof value === 'boolean' ? (value ? 1 : 0) : value;

/**
 * `/api/live`: one Kafka consumer (a unique group, latest offsets, no commits: it is a tap, not a
 * pipeline stage) fans samples out to every WebSocket client by tag. A new subscription first gets the
 * last N seconds from QuestDB; samples that reached Kafka before it but QuestDB not yet come from a
 * short in-memory buffer, and samples arriving meanwhile wait per client; all are sent only when newer
 * than what the client already has, so history and live meet without a gap or a repeat. A client whose
 * socket backs up past a byte bound loses samples (counted, reported to it) and is closed if that lasts.
 */
export class LiveHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly clients = new Set<Client>();
  private readonly byTag = new Map<string, Set<Client>>();
  private readonly recent: { at: number; batch: SampleBatch }[] = [];
  private recentSamples = 0;
  private consumer: Consumer | undefined;
  private ready: Promise<void> | undefined;
  private readonly metrics;

  constructor(
    private readonly config: QueryApiConfig,
    private readonly observability: Observability,
    private readonly client: QueryClient,
  ) {
    const registers = [observability.metrics];
    this.metrics = {
      clients: new Gauge({
        name: 'millrace_query_api_live_clients',
        help: 'Connected live clients',
        registers,
      }),
      dropped: new Counter({
        name: 'millrace_query_api_live_dropped_samples_total',
        help: 'Live samples not sent to a client that read too slowly',
        registers,
      }),
      closed: new Counter({
        name: 'millrace_query_api_live_slow_closed_total',
        help: 'Live clients closed for staying too slow',
        registers,
      }),
      refused: new Counter({
        name: 'millrace_query_api_live_refused_messages_total',
        help: 'Kafka messages of the samples topic that did not decode (the processor dead-letters them)',
        registers,
      }),
    };
  }

  /** Starts the shared consumer; resolves once it fetched from its partitions (offsets resolved to latest). */
  start(): Promise<void> {
    const kafka = createKafka({
      brokers: this.config.MILLRACE_KAFKA_BROKERS,
      clientId: 'query-api-live',
      logger: this.observability.logger,
    });
    const consumer = kafka.consumer({
      groupId: `query-api-live.${randomUUID()}`,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    this.ready = new Promise<void>((resolve) => {
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
      const off = consumer.on(consumer.events.FETCH, () => {
        if (!joined) return;
        off();
        resolve();
      });
    });
    void (async () => {
      await consumer.connect();
      await consumer.subscribe({ topic: TOPICS.samples.name, fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const decoded = decodeMessage(TOPICS.samples, message.value);
            if (decoded.ok) this.publish(decoded.value);
            else this.metrics.refused.inc();
          }
        },
      });
    })().catch((error: unknown) => this.observability.logger.error({ err: error }, 'live consumer failed'));
    return this.ready;
  }

  /** Handles `upgrade` requests of the HTTP server for the live path. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (new URL(request.url ?? '/', 'http://host').pathname !== LIVE_PATH) return false;
    this.wss.handleUpgrade(request, socket, head, (ws) => this.connect(ws));
    return true;
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.socket.close(1001, 'server shutting down');
    this.wss.close();
    await this.consumer?.disconnect();
  }

  private connect(socket: WebSocket): void {
    const client: Client = {
      socket,
      tags: new Set(),
      pending: undefined,
      lastSent: new Map(),
      dropped: 0,
      droppingSince: undefined,
      generation: 0,
    };
    this.clients.add(client);
    this.metrics.clients.set(this.clients.size);
    socket.on('message', (data) => void this.subscribe(client, String(data)));
    socket.on('close', () => {
      this.unindex(client);
      this.clients.delete(client);
      this.metrics.clients.set(this.clients.size);
    });
    socket.on('error', () => socket.terminate());
  }

  private unindex(client: Client): void {
    for (const tag of client.tags) {
      const set = this.byTag.get(tag);
      set?.delete(client);
      if (set?.size === 0) this.byTag.delete(tag);
    }
  }

  private async subscribe(client: Client, text: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.send(client, { type: 'error', message: 'not JSON' });
    }
    const parsed = subscribeSchema.safeParse(json);
    if (!parsed.success) return this.send(client, { type: 'error', message: describeIssues(parsed.error) });
    const { subscribe: tags, backfillSeconds } = parsed.data;
    if (tags.length > this.config.QUERY_API_LIVE_MAX_TAGS)
      return this.send(client, {
        type: 'error',
        message: `subscribe: at most ${this.config.QUERY_API_LIVE_MAX_TAGS} tags`,
      });
    if (backfillSeconds > this.config.QUERY_API_LIVE_MAX_BACKFILL_S)
      return this.send(client, {
        type: 'error',
        message: `backfillSeconds: at most ${this.config.QUERY_API_LIVE_MAX_BACKFILL_S}`,
      });

    this.unindex(client);
    const generation = ++client.generation;
    client.tags = new Set(tags);
    client.lastSent = new Map();
    // Whatever reached Kafka recently may not be in QuestDB yet: queue it with what arrives from now on.
    client.pending = this.recent.filter(({ batch }) => client.tags.has(batch.tag)).map(({ batch }) => batch);
    for (const tag of tags) {
      let set = this.byTag.get(tag);
      if (!set) this.byTag.set(tag, (set = new Set()));
      set.add(client);
    }
    // The consumer must already be reading before history is read, or a sample could fall between them.
    await this.ready;
    let series: LiveColumns[];
    try {
      series = await this.backfill(tags, backfillSeconds, client);
    } catch (error) {
      this.observability.logger.warn({ err: error }, 'live backfill failed');
      series = [];
      if (generation === client.generation)
        this.send(client, { type: 'error', message: 'history not available; streaming live only' });
    }
    if (generation !== client.generation) return; // replaced by a newer subscription meanwhile
    this.send(client, { type: 'backfill', series });
    const pending = client.pending ?? [];
    client.pending = undefined;
    for (const batch of pending) this.deliver(client, batch);
  }

  private async backfill(tags: readonly string[], seconds: number, client: Client): Promise<LiveColumns[]> {
    if (seconds === 0) return [];
    const from = usToIso(epochUs(msToUs(epochMs(Date.now())) - seconds * 1_000_000));
    const placeholders = tags.map((_, i) => `$${i + 2}`).join(', ');
    const rows = await this.client.query<{
      ts: EpochUs;
      tag: string;
      value: number | null;
      value_text: string | null;
    }>(
      `SELECT ts, tag, value, value_text FROM ${TABLES.samples.name} ` +
        `WHERE ts >= $1 AND tag IN (${placeholders}) ORDER BY ts`,
      [from, ...tags],
    );
    const columns = new Map<string, LiveColumns>();
    for (const row of rows) {
      let column = columns.get(row.tag);
      if (!column) columns.set(row.tag, (column = { tag: row.tag, ts: [], values: [] }));
      column.ts.push(usToMs(row.ts));
      column.values.push(row.value_text ?? row.value);
      client.lastSent.set(row.tag, row.ts);
    }
    return [...columns.values()];
  }

  private publish(batch: SampleBatch): void {
    const now = Date.now();
    this.recent.push({ at: now, batch });
    this.recentSamples += batch.ts.length;
    while (
      this.recent.length > 0 &&
      (this.recent[0]!.at < now - RECENT_MS || this.recentSamples > RECENT_MAX_SAMPLES)
    )
      this.recentSamples -= this.recent.shift()!.batch.ts.length;
    for (const client of this.byTag.get(batch.tag) ?? []) {
      if (client.pending === undefined) this.deliver(client, batch);
      else if (client.pending.reduce((n, queued) => n + queued.ts.length, 0) < PENDING_MAX_SAMPLES)
        client.pending.push(batch);
      else this.drop(client, batch.ts.length);
    }
  }

  /** Sends the samples of a batch newer than the client's last one for that tag. */
  private deliver(client: Client, batch: SampleBatch): void {
    const last = client.lastSent.get(batch.tag) ?? -Infinity;
    const ts: number[] = [];
    const values: (number | string)[] = [];
    let newest = last;
    batch.ts.forEach((t, i) => {
      if (t <= last) return;
      ts.push(usToMs(t));
      values.push(toValue(batch.values[i]!));
      newest = Math.max(newest, t);
    });
    if (ts.length === 0) return;
    const socket = client.socket;
    if (socket.bufferedAmount > this.config.QUERY_API_LIVE_MAX_BUFFERED_BYTES) {
      this.drop(client, ts.length);
      return;
    }
    if (client.dropped > 0) {
      this.send(client, { type: 'dropped', count: client.dropped });
      client.dropped = 0;
      client.droppingSince = undefined;
    }
    client.lastSent.set(batch.tag, newest as EpochUs);
    this.send(client, { type: 'samples', tag: batch.tag, ts, values });
  }

  private drop(client: Client, count: number): void {
    client.dropped += count;
    this.metrics.dropped.inc(count);
    const now = Date.now();
    client.droppingSince ??= now;
    if (now - client.droppingSince > this.config.QUERY_API_LIVE_SLOW_CLOSE_MS) {
      this.metrics.closed.inc();
      client.socket.close(1013, 'too slow: samples were dropped for too long');
      client.socket.terminate(); // its buffered bytes are freed now, not after a close handshake it cannot read
    }
  }

  private send(client: Client, message: ServerMessage): void {
    if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(message));
  }
}
