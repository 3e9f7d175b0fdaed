import {
  deadLetterTopicOf,
  decodeMessage,
  encodeMessage,
  type DeadLetter,
  type MessageInputOf,
  type TopicSpec,
} from '@millrace/schema';
import { nowUs } from '@millrace/time';
import kafkajs, { type IHeaders, type Kafka, type Producer, type Sender, type TopicMessages } from 'kafkajs';
import { KafkaPipelineError } from './errors.js';

export type { TopicMessages };

export interface OutgoingMessage<Spec extends TopicSpec> {
  key: string;
  value: MessageInputOf<Spec>;
  headers?: Record<string, string>;
}

/** The bytes of a message that could not be processed, as they arrived. */
export interface RefusedMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  partition?: number;
  offset?: string;
  /** Where it stood in its source, e.g. `coil_data_0815.csv:42`. */
  location?: string;
}

/**
 * The pipeline's ways of putting messages on topics (validated, pre-encoded, raw, dead letters), over a
 * producer or over one of its transactions.
 */
export class PipelineSender {
  constructor(
    private readonly sender: Sender,
    protected readonly service: string,
    protected readonly compression: kafkajs.CompressionTypes = kafkajs.CompressionTypes.None,
  ) {}

  /** Validates each message against the topic's schema, then sends them in one request per broker. */
  async send<Spec extends TopicSpec>(spec: Spec, messages: readonly OutgoingMessage<Spec>[]): Promise<void> {
    await this.sendBatch([this.validated(spec, messages)]);
  }

  /**
   * The trusted path for bulk producers that encode messages themselves (ingest-files writes sample
   * batches in binary while reading, where validating each with zod cost as much as reading it).
   * Use it ONLY for bytes built by code whose output a unit test decodes with `decodeMessage`
   * against this topic's schema. As a guard against a drift of that code, the first message of each
   * call is decoded and checked; a refusal throws a TypeError, as {@link send} does.
   */
  async sendEncoded<Spec extends TopicSpec>(
    spec: Spec,
    messages: readonly { key: string; value: Buffer }[],
  ): Promise<void> {
    await this.sendBatch([this.encoded(spec, messages)]);
  }

  /**
   * Sends messages for several topics in one produce request per broker: in a transaction that is
   * also one AddPartitionsToTxn instead of one per topic. Build the parts with {@link validated},
   * {@link encoded} and {@link deadLetters}.
   */
  async sendBatch(parts: readonly TopicMessages[]): Promise<void> {
    const topicMessages = parts.filter((part) => part.messages.length > 0);
    if (topicMessages.length === 0) return;
    await this.sender.sendBatch({ acks: -1, compression: this.compression, topicMessages });
  }

  /** Messages for {@link sendBatch}, each validated against the topic's schema (a TypeError if refused). */
  validated<Spec extends TopicSpec>(spec: Spec, messages: readonly OutgoingMessage<Spec>[]): TopicMessages {
    return {
      topic: spec.name,
      messages: messages.map((message) => ({
        key: message.key,
        value: Buffer.from(encodeMessage(spec, message.value)),
        ...(message.headers ? { headers: message.headers } : {}),
      })),
    };
  }

  /** Pre-encoded messages for {@link sendBatch}, under the rules of {@link sendEncoded}. */
  encoded<Spec extends TopicSpec>(
    spec: Spec,
    messages: readonly { key: string; value: Buffer }[],
  ): TopicMessages {
    const [first] = messages;
    if (first !== undefined) {
      const checked = decodeMessage(spec, first.value);
      if (!checked.ok) throw new TypeError(checked.reason);
    }
    return { topic: spec.name, messages: [...messages] };
  }

  /** Dead letters for {@link sendBatch}: refused messages with their original bytes and the reason. */
  deadLetters(
    spec: TopicSpec,
    refused: readonly { message: RefusedMessage; reason: string }[],
  ): TopicMessages {
    return this.validated(
      deadLetterTopicOf(spec),
      refused.map(({ message, reason }) => ({
        key: message.key?.toString('utf8') ?? '',
        value: this.envelope(spec, message, reason),
      })),
    );
  }

  /** Sends already-encoded bytes, e.g. a replay copying messages between topics. */
  async sendRaw(
    topic: string,
    messages: readonly { key: Buffer | string | null; value: Buffer | null; headers?: IHeaders }[],
  ): Promise<void> {
    if (messages.length === 0) return;
    await this.sender.send({ topic, acks: -1, compression: this.compression, messages: [...messages] });
  }

  /** Parks refused messages on the topic's dead-letter twin with the original bytes and the reason. */
  async deadLetter(
    spec: TopicSpec,
    refused: readonly { message: RefusedMessage; reason: string }[],
  ): Promise<void> {
    if (refused.length === 0) return;
    const dlq = deadLetterTopicOf(spec);
    await this.sendBatch([this.deadLetters(spec, refused)]).catch((error: unknown) => {
      throw new KafkaPipelineError(
        `cannot write to ${dlq.name}: ${(error as Error).message}`,
        true,
        { topic: dlq.name },
        { cause: error },
      );
    });
  }

  private envelope(spec: TopicSpec, message: RefusedMessage, reason: string): DeadLetter {
    return {
      originalTopic: spec.name,
      ...(message.partition === undefined ? {} : { partition: message.partition }),
      ...(message.offset === undefined ? {} : { offset: message.offset }),
      key: message.key === null ? null : message.key.toString('base64'),
      value: (message.value ?? Buffer.alloc(0)).toString('base64'),
      headers: headersToStrings(message.headers),
      reason: reason.slice(0, 4096),
      service: this.service,
      ...(message.location === undefined ? {} : { location: message.location }),
      ts: nowUs(),
    };
  }
}

/**
 * Idempotent producer with acks=all (KIP-98): a retried send never writes a message twice, and a
 * send resolves only when every in-sync replica has it. With a `transactionalId` it can also send
 * atomically across topics ({@link transaction}).
 */
export class PipelineProducer extends PipelineSender {
  private readonly producer: Producer;

  /**
   * `compression: 'lz4'` for bulk producers (registered in ./lz4.ts); the others send small batches,
   * where it would cost more than it saves.
   */
  constructor(
    kafka: Kafka,
    service: string,
    options: { transactionalId?: string; compression?: 'none' | 'lz4' } = {},
  ) {
    const producer = kafka.producer({
      idempotent: true,
      // A transactional producer allows one request in flight (kafkajs); plain ones pipeline five.
      maxInFlightRequests: options.transactionalId === undefined ? 5 : 1,
      allowAutoTopicCreation: false,
      // murmur2 on the key, as the Java client: a tag lands on the same partition whoever produces it
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      ...(options.transactionalId === undefined
        ? {}
        : {
            transactionalId: options.transactionalId,
            // Right after a commit the coordinator still writes its markers and answers the next
            // transaction's AddPartitionsToTxn with CONCURRENT_TRANSACTIONS for a few ms; kafkajs's
            // default first retry (300 ms) then idles every few transactions. The Java client retries
            // it after 20 ms.
            retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20 },
          }),
    });
    super(
      producer,
      service,
      options.compression === 'lz4' ? kafkajs.CompressionTypes.LZ4 : kafkajs.CompressionTypes.None,
    );
    this.producer = producer;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  /**
   * Runs `work` in one Kafka transaction (KIP-98): everything it sends becomes visible to
   * read_committed consumers (the kafkajs and Java default) together at commit, or never. A producer
   * restarted with the same transactional id aborts what its predecessor left open.
   */
  async transaction(work: (tx: PipelineSender) => Promise<void>): Promise<void> {
    const tx = await this.producer.transaction();
    try {
      await work(new PipelineSender(tx, this.service, this.compression));
      await tx.commit();
    } catch (error) {
      await tx.abort().catch(() => undefined); // a broker that is gone aborts it when the transaction times out
      throw error;
    }
  }
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    result[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return result;
}
