import type { Logger } from '@millrace/observability';
import kafkajs, { type Kafka, type LogEntry } from 'kafkajs';
import './lz4.js';

const { Kafka: KafkaClient, logLevel } = kafkajs;

export interface KafkaRetryOptions {
  retries: number;
  initialRetryTimeMs: number;
  maxRetryTimeMs: number;
  /** How long one request may wait for its answer. */
  requestTimeoutMs: number;
}

/**
 * For a producer that spools to disk when Kafka is away: a send gives up after about five seconds instead
 * of kafkajs's default half minute, so the spool takes over quickly and the sources are not held back.
 */
export const STORE_AND_FORWARD_RETRY: Readonly<KafkaRetryOptions> = Object.freeze({
  retries: 3,
  initialRetryTimeMs: 200,
  maxRetryTimeMs: 1_000,
  requestTimeoutMs: 3_000,
});

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  connectionTimeoutMs?: number;
  /** kafkajs defaults when absent (5 retries from 300 ms up to 30 s, 30 s request time-out). */
  retry?: KafkaRetryOptions;
}

const PINO_LEVEL = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
  [logLevel.NOTHING]: 'silent',
} as const;

/** A kafkajs client whose own logs go through the service's pino logger. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  return new KafkaClient({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    ...(options.retry === undefined
      ? {}
      : {
          requestTimeout: options.retry.requestTimeoutMs,
          retry: {
            retries: options.retry.retries,
            initialRetryTime: options.retry.initialRetryTimeMs,
            maxRetryTime: options.retry.maxRetryTimeMs,
          },
        }),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const pinoLevel = PINO_LEVEL[level as keyof typeof PINO_LEVEL] ?? 'info';
        if (pinoLevel !== 'silent') log[pinoLevel](rest, message);
      },
  });
}
