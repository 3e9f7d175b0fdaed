import { TagAnnouncer, type PipelineProducer } from '@millrace/kafka';
import {
  mapMessage,
  subscriptionFilters,
  type MappingRules,
  type SamplesMappingRule,
} from '@millrace/mqtt-mapping';
import type { Logger } from '@millrace/observability';
import { TOPICS, type SampleValue, type TagPath } from '@millrace/schema';
import { SampleBatcher, SpoolFullError, type SampleColumns, type SpoolingPublisher } from '@millrace/spool';
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
  publisher: SpoolingPublisher;
  /** Parks refused payloads on the DLQ twin of their target topic. */
  producer: Pick<PipelineProducer, 'deadLetter'>;
  logger: Logger;
  metrics?: Registry;
  /** Topic specs to produce to; tests pass unique copies. */
  topics?: IngestTopics;
}

type SendPacket = (packet: Packet, cb?: (error?: Error) => void, ...rest: unknown[]) => void;

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
  private readonly batcher: SampleBatcher;
  private readonly topics: IngestTopics;
  private readonly logger: Logger;
  private readonly counters: ReturnType<typeof registerCounters> | undefined;
  private readonly held = new Map<number, { safe: Promise<void>; session: number }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly announcer: TagAnnouncer;
  /** Tags described on plant.tags.v1 by this process: checked per message, so a set, not the announcer's JSON. */
  private readonly described = new Set<string>();
  private session = 0;

  constructor(private readonly options: MqttIngestorOptions) {
    this.logger = options.logger.child({ component: 'mqtt' });
    this.topics = options.topics ?? {
      samples: TOPICS.samples,
      inspections: TOPICS.inspections,
      tags: TOPICS.tags,
    };
    this.batcher = new SampleBatcher(
      { lingerMs: options.lingerMs, maxSamples: options.batchMaxSamples },
      (batches) => this.deliverSamples(batches),
    );
    this.counters = options.metrics ? registerCounters(options.metrics) : undefined;
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
    };
    this.client = mqtt.connect(options.mqttUrl, clientOptions);
    this.holdAcks();
    this.client.on('connect', (connack) => {
      this.session += 1;
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
    await this.batcher.flush();
    await Promise.all([...this.inFlight]);
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
   * safe. This uses mqtt.js's internal `_sendPacket` (5.x); the integration tests pin the behaviour.
   */
  private holdAcks(): void {
    this.client.handleMessage = (packet: IPublishPacket, callback) => {
      const safe = this.accept(packet.topic, packet.payload as Buffer);
      if (packet.qos > 0 && packet.messageId !== undefined) {
        this.held.set(packet.messageId, { safe, session: this.session });
      }
      callback();
    };
    const internal = this.client as unknown as { _sendPacket: SendPacket };
    const send = internal._sendPacket.bind(this.client);
    internal._sendPacket = (packet, cb, ...rest) => {
      const messageId = packet.cmd === 'puback' ? packet.messageId : undefined;
      const held = messageId === undefined ? undefined : this.held.get(messageId);
      if (messageId === undefined || held === undefined) return send(packet, cb, ...rest);
      this.held.delete(messageId);
      cb?.(); // let mqtt.js read the next message now
      void held.safe.then(() => {
        // After a reconnect the broker sends unacknowledged messages again; an old PUBACK would be stale.
        if (held.session === this.session && this.client.connected) send(packet);
      });
    };
  }

  /** Routes one message; the promise resolves (never rejects) when it is safe. */
  private accept(topic: string, payload: Buffer): Promise<void> {
    const mapped = mapMessage(this.options.rules, topic, payload, nowUs());
    let work: Promise<void>;
    if (!mapped.ok) {
      this.counters?.messages.deadLetter.inc();
      work = this.deadLetter(mapped.target, topic, payload, mapped.reason);
    } else if (mapped.target === 'inspections') {
      this.counters?.messages.inspection.inc();
      work = this.options.publisher
        .publish(this.topics.inspections, [{ key: mapped.inspection.cellId, value: mapped.inspection }])
        .then(
          () => undefined,
          (error: unknown) => this.publishFailed('inspections', topic, payload, error, 1),
        );
    } else {
      this.counters?.messages.sample.inc();
      if (!this.described.has(mapped.tag)) this.describe(mapped.tag, mapped.sample.value, mapped.rule);
      work = this.batcher.add(mapped.tag, `mqtt:${topic}`, mapped.sample.ts, mapped.sample.value, 'good');
    }
    // Samples of one batch share its promise: tracked once, not once per message.
    if (!this.inFlight.has(work)) {
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    }
    return work;
  }

  /** Best effort: a description Kafka refused is tried again with the tag's next message. */
  private describe(tag: TagPath, value: SampleValue, rule: SamplesMappingRule): void {
    this.described.add(tag);
    const { unit, description, expectedPeriodMs } = rule;
    const valueType =
      typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'boolean' : 'number';
    this.announcer
      .announce([{ tag, source: 'ingest-mqtt', valueType, unit, description, expectedPeriodMs }])
      .catch((error: unknown) => {
        this.described.delete(tag);
        this.logger.warn({ err: error, tag }, 'tag description not published; trying again');
      });
  }

  private async deliverSamples(batches: SampleColumns[]): Promise<void> {
    const ingestTs = nowUs();
    const messages = batches.map((batch) => ({
      key: batch.tag,
      // One type per batch (SampleBatcher), so the union of arrays holds.
      value: {
        tag: batch.tag,
        source: batch.source,
        ingestTs,
        ts: batch.ts,
        values: batch.values as number[],
      },
    }));
    try {
      await this.options.publisher.publish(this.topics.samples, messages);
    } catch (error) {
      const samples = batches.reduce((sum, batch) => sum + batch.ts.length, 0);
      await this.publishFailed('samples', undefined, undefined, error, samples);
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
      this.counters?.dropped.inc({ reason: 'spool_full' }, count);
      return;
    }
    if (topic !== undefined && payload !== undefined) {
      await this.deadLetter(target, topic, payload, `refused by Kafka: ${(error as Error).message}`);
      return;
    }
    this.counters?.dropped.inc({ reason: 'refused' }, count);
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
      this.counters?.dropped.inc({ reason: 'dead_letter_failed' });
      this.logger.error(
        { err: error, topic, reason, payloadBase64: payload.toString('base64').slice(0, 4096) },
        'cannot write to the dead-letter topic',
      );
    }
  }
}

function registerCounters(registry: Registry) {
  const messages = new Counter({
    name: 'ingest_mqtt_messages_total',
    help: 'MQTT messages received, by what became of them',
    labelNames: ['result'],
    registers: [registry],
  });
  return {
    // Bound once: labelling per message (prom-client hashes the labels each time) showed in the profile.
    messages: {
      sample: messages.labels('sample'),
      inspection: messages.labels('inspection'),
      deadLetter: messages.labels('dead_letter'),
    },
    dropped: new Counter({
      name: 'ingest_mqtt_dropped_total',
      help: 'Samples or messages lost: spool full, refused by Kafka, or the DLQ unwritable',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
