import { TagAnnouncer, type PipelineProducer } from '@millrace/kafka';
import { decodeMessage, TOPICS, type SampleValue, type TagPath } from '@millrace/schema';
import {
  readSample,
  routeTopic,
  subscriptionFilters,
  type MappingRules,
  type SamplesMappingRule,
  type TopicRoute,
} from '@millrace/mqtt-mapping';
import type { Logger } from '@millrace/observability';
import { ColumnBatcher, SpoolFullError, TagSlot, type Flush, type SpoolingPublisher } from '@millrace/spool';
import { nowUs } from '@millrace/time';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import { Counter, type Registry } from 'prom-client';

export interface MqttIngestorOptions {
  mqttUrl: string;
  /** Fixed across restarts: the broker keys the persistent session by it. */
  clientId: string;
  rules: MappingRules;
  sessionExpiryS: number;
  reconnectPeriodMs: number;
  receiveMaximum: number;
  lingerMs: number;
  batchMaxSamples: number;
  publisher: Pick<SpoolingPublisher, 'publish'>;
  /** Parks refused payloads on the DLQ twin of their target topic. */
  producer: Pick<PipelineProducer, 'deadLetter'>;
  logger: Logger;
  metrics?: Registry;
  /** Topic specs to produce to; tests pass unique copies. */
  topics?: IngestTopics;
}

type SendPacket = (packet: Packet, cb?: (error?: Error) => void, ...rest: unknown[]) => void;

/** Messages (their packet ids) acknowledged together once `safe` resolves: a flush of samples, or one message. */
type AckGroup = Pick<Flush<number>, 'safe' | 'held'>;

/** What the ingestor keeps per MQTT topic: its route and, for a tag, its batch columns. */
interface TopicState {
  route: TopicRoute;
  slot: TagSlot | undefined;
  described: boolean;
}

/** Past this many topics the per-topic state starts over (a bound against topic floods). */
const MAX_TOPICS = 100_000;

export interface IngestTopics {
  samples: typeof TOPICS.samples;
  inspections: typeof TOPICS.inspections;
  tags: typeof TOPICS.tags;
}

/**
 * Subscribes to the rules' filters with QoS 1 on a persistent session and turns messages into
 * sample batches and inspections. A message's PUBACK is sent only after it is safe (in Kafka, in the
 * spool, or dead-lettered), so a crash before that makes the broker deliver it again.
 */
export class MqttIngestor {
  private readonly client: MqttClient;
  private readonly batcher: ColumnBatcher<number>;
  private readonly topics: IngestTopics;
  private readonly logger: Logger;
  /** Plain counts, read by the metrics' collect(): a prom-client inc per message hashes its labels. */
  private readonly counts = { sample: 0, inspection: 0, deadLetter: 0 };
  private readonly dropped: Counter | undefined;
  /** The group each received message joined, by packet id, until mqtt.js asks to send its PUBACK. */
  private readonly joined = new Map<number, AckGroup>();
  /** Groups holding PUBACKs, until safe. */
  private readonly unsettled = new Set<AckGroup>();
  private readonly state = new Map<string, TopicState>();
  private readonly announcer: TagAnnouncer;

  constructor(private readonly options: MqttIngestorOptions) {
    this.logger = options.logger.child({ component: 'mqtt' });
    this.topics = options.topics ?? {
      samples: TOPICS.samples,
      inspections: TOPICS.inspections,
      tags: TOPICS.tags,
    };
    this.batcher = new ColumnBatcher<number>(
      { lingerMs: options.lingerMs, maxSamples: options.batchMaxSamples },
      (flush) => this.deliverSamples(flush),
    );
    this.dropped = options.metrics ? registerCounters(options.metrics, this.counts) : undefined;
    this.announcer = new TagAnnouncer(async (messages) => {
      await options.publisher.publish(this.topics.tags, messages);
    });
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      protocolVersion: 5,
      clean: false,
      // MQTT 5 keeps the session only as long as this says (§3.1.2.11.2); 0 would end it at disconnect.
      properties: { sessionExpiryInterval: options.sessionExpiryS, receiveMaximum: options.receiveMaximum },
      reconnectPeriod: options.reconnectPeriodMs,
      connectTimeout: 10_000,
      // We subscribe on every connect ourselves: a broker that lost its state gets the subscriptions back.
      resubscribe: false,
      manualConnect: true,
      // mqtt.js logs each packet through `debug`, whose per-call check showed in the profile; DEBUG=mqttjs* still works.
      ...(process.env.DEBUG?.includes('mqttjs') === true ? {} : { log: () => undefined }),
    };
    this.client = mqtt.connect(options.mqttUrl, clientOptions);
    this.holdAcks();
    this.client.on('connect', (connack) => {
      // PUBACKs still held belong to the last connection: the broker sends those messages again.
      this.joined.clear();
      for (const group of this.unsettled) group.held.length = 0;
      this.logger.info({ sessionPresent: connack.sessionPresent, url: options.mqttUrl }, 'MQTT connected');
      this.subscribe();
    });
    this.client.on('offline', () => this.logger.warn('MQTT broker unreachable: reconnecting'));
    this.client.on('error', (error) => this.logger.warn({ err: error }, 'MQTT client error'));
  }

  get connected(): boolean {
    return this.client.connected;
  }

  start(): void {
    this.client.connect();
  }

  /** Sends what is batched, waits until every received message is safe and acknowledged, then disconnects. */
  async stop(): Promise<void> {
    await this.batcher.close();
    await Promise.all([...this.unsettled].map((group) => group.safe));
    await this.client.endAsync();
  }

  private subscribe(): void {
    const filters = Object.fromEntries(
      subscriptionFilters(this.options.rules.map((rule) => rule.filter)).map((filter) => [
        filter,
        { qos: 1 as const, rh: 1 as const },
      ]),
    );
    this.client.subscribe(filters, (error, granted) => {
      if (error) {
        this.logger.error({ err: error }, 'MQTT subscribe failed');
        return;
      }
      const refused = (granted ?? []).filter((grant) => grant.qos > 2);
      if (refused.length > 0) this.logger.error({ refused }, 'MQTT broker refused subscriptions');
      else this.logger.info({ filters: Object.keys(filters) }, 'MQTT subscribed (QoS 1)');
    });
  }

  /**
   * mqtt.js sends a PUBACK when `handleMessage` calls back, and reads the next packet only after
   * that, so holding the callback until Kafka acknowledged would process one message per round trip.
   * Instead `handleMessage` calls back at once and the PUBACK itself is held until the message is
   * safe: the PUBACKs of one flush are then written to the socket as one buffer. This uses mqtt.js's
   * internal `_sendPacket` (5.x); the integration tests pin the behaviour.
   */
  private holdAcks(): void {
    this.client.handleMessage = (packet: IPublishPacket, callback) => {
      const group = this.accept(packet.topic, packet.payload as Buffer);
      if (packet.qos > 0 && packet.messageId !== undefined) this.joined.set(packet.messageId, group);
      callback();
    };
    const internal = this.client as unknown as { _sendPacket: SendPacket };
    const send = internal._sendPacket.bind(this.client);
    internal._sendPacket = (packet, cb, ...rest) => {
      const messageId = packet.cmd === 'puback' && !packet.reasonCode ? packet.messageId : undefined;
      const group = messageId === undefined ? undefined : this.joined.get(messageId);
      if (messageId === undefined || group === undefined) return send(packet, cb, ...rest);
      this.joined.delete(messageId);
      if (!this.unsettled.has(group)) {
        this.unsettled.add(group);
        // One reaction per group, not per message: a flush carries thousands.
        void group.safe.then(() => {
          this.unsettled.delete(group);
          if (group.held.length > 0 && this.client.connected) this.client.stream.write(pubacks(group.held));
          group.held.length = 0;
        });
      }
      group.held.push(messageId);
      cb?.(); // let mqtt.js read the next message now
    };
  }

  /** Routes one message; returns the group whose `safe` resolves (never rejects) when it is safe. */
  private accept(topic: string, payload: Buffer): AckGroup {
    let state = this.state.get(topic);
    if (state === undefined) {
      if (this.state.size >= MAX_TOPICS) this.state.clear();
      const route = routeTopic(this.options.rules, topic);
      state = {
        route,
        slot: route.kind === 'samples' ? new TagSlot(route.tag, `mqtt:${topic}`) : undefined,
        described: false,
      };
      this.state.set(topic, state);
    }
    const { route } = state;
    if (route.kind === 'samples') {
      const sample = readSample(route.rule.payload, payload, nowUs());
      if (typeof sample === 'string') {
        this.counts.deadLetter += 1;
        return single(this.deadLetter('samples', topic, payload, `topic ${topic}: ${sample}`));
      }
      this.counts.sample += 1;
      if (!state.described) this.describe(state, route.tag, sample.value, route.rule);
      return this.batcher.add(state.slot as TagSlot, sample.ts, sample.value);
    }
    if (route.kind === 'refused') {
      this.counts.deadLetter += 1;
      return single(this.deadLetter(route.target, topic, payload, route.reason));
    }
    const decoded = decodeMessage(TOPICS.inspections, payload);
    if (!decoded.ok) {
      this.counts.deadLetter += 1;
      return single(this.deadLetter('inspections', topic, payload, `topic ${topic}: ${decoded.reason}`));
    }
    this.counts.inspection += 1;
    return single(
      this.options.publisher
        .publish(this.topics.inspections, [{ key: decoded.value.cellId, value: decoded.value }])
        .then(
          () => undefined,
          (error: unknown) => this.publishFailed('inspections', topic, payload, error, 1),
        ),
    );
  }

  /** Best effort: a description Kafka refused is tried again with the tag's next message. */
  private describe(state: TopicState, tag: TagPath, value: SampleValue, rule: SamplesMappingRule): void {
    state.described = true;
    const { unit, description, expectedPeriodMs } = rule;
    const valueType =
      typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'boolean' : 'number';
    this.announcer
      .announce([{ tag, source: 'ingest-mqtt', valueType, unit, description, expectedPeriodMs }])
      .catch((error: unknown) => {
        state.described = false;
        this.logger.warn({ err: error, tag }, 'tag description not published; trying again');
      });
  }

  /** One Kafka request for the whole flush: one message per tag and value type. */
  private async deliverSamples(flush: Flush<number>): Promise<void> {
    const ingestTs = nowUs();
    const messages = flush.columns.map((columns) => ({
      key: columns.tag,
      // One type per column set (ColumnBatcher), so the union of arrays holds.
      value: {
        tag: columns.tag,
        source: columns.source,
        ingestTs,
        ts: columns.ts,
        values: columns.values as number[],
      },
    }));
    try {
      await this.options.publisher.publish(this.topics.samples, messages);
    } catch (error) {
      await this.publishFailed('samples', undefined, undefined, error, flush.samples);
    }
  }

  private async publishFailed(
    target: 'samples' | 'inspections',
    topic: string | undefined,
    payload: Buffer | undefined,
    error: unknown,
    count: number,
  ): Promise<void> {
    if (error instanceof SpoolFullError) {
      // The publisher logged the full spool once; each loss is counted.
      this.dropped?.inc({ reason: 'spool_full' }, count);
      return;
    }
    if (topic !== undefined && payload !== undefined) {
      await this.deadLetter(target, topic, payload, `refused by Kafka: ${(error as Error).message}`);
      return;
    }
    this.dropped?.inc({ reason: 'refused' }, count);
    this.logger.error({ err: error, samples: count }, 'Kafka refused a sample batch: samples dropped');
  }

  private async deadLetter(
    target: 'samples' | 'inspections',
    topic: string,
    payload: Buffer,
    reason: string,
  ): Promise<void> {
    const spec = this.topics[target];
    try {
      await this.options.producer.deadLetter(spec, [
        { message: { key: null, value: payload, location: topic }, reason },
      ]);
    } catch (error) {
      // No spool for dead letters: the reason and the bytes are kept in the log instead.
      this.dropped?.inc({ reason: 'dead_letter_failed' });
      this.logger.error(
        { err: error, topic, reason, payloadBase64: payload.toString('base64').slice(0, 4096) },
        'cannot write to the dead-letter topic',
      );
    }
  }
}

/**
 * The PUBACKs of `ids` as one buffer, written in one go instead of one mqtt.js packet (and write) each.
 * Success without properties: MQTT 5 omits the reason code and property length then, the 3.1.1 form
 * (MQTT 5 §3.4.2.1, MQTT 3.1.1 §3.4).
 */
function pubacks(ids: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(ids.length * 4);
  let at = 0;
  for (const id of ids) {
    bytes[at] = 0x40; // PUBACK
    bytes[at + 1] = 2; // remaining length: the packet id
    bytes.writeUInt16BE(id, at + 2);
    at += 4;
  }
  return bytes;
}

/** A message acknowledged on its own (an inspection, a dead letter): rare, so a group each. */
function single(safe: Promise<void>): AckGroup {
  return { safe, held: [] };
}

function registerCounters(
  registry: Registry,
  counts: { sample: number; inspection: number; deadLetter: number },
): Counter {
  new Counter({
    name: 'ingest_mqtt_messages_total',
    help: 'MQTT messages received, by what became of them',
    labelNames: ['result'],
    registers: [registry],
    // Counted in plain numbers per message and copied here when scraped.
    collect() {
      this.reset();
      this.inc({ result: 'sample' }, counts.sample);
      this.inc({ result: 'inspection' }, counts.inspection);
      this.inc({ result: 'dead_letter' }, counts.deadLetter);
    },
  });
  return new Counter({
    name: 'ingest_mqtt_dropped_total',
    help: 'Samples or messages lost: spool full, refused by Kafka, or the DLQ unwritable',
    labelNames: ['reason'],
    registers: [registry],
  });
}
