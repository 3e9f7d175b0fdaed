import type { Logger } from '@millrace/observability';
import kafkajs, { type Kafka, type LogEntry } from 'kafkajs';

const { Kafka: KafkaClient, logLevel } = kafkajs;

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  connectionTimeoutMs?: number;
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
