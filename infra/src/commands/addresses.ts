import { addressesShape, loadConfig } from '@millrace/config';
import { createKafka } from '@millrace/kafka';
import { createLogger } from '@millrace/observability';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';

const schema = z.object({ ...addressesShape });

/** The data engineers' commands talk to the servers the MILLRACE_* variables name (defaults: the local stack). */
export function commandContext(name: string): { config: Readonly<z.infer<typeof schema>>; kafka: Kafka } {
  const config = loadConfig(schema);
  const kafka = createKafka({
    brokers: config.MILLRACE_KAFKA_BROKERS,
    clientId: `millrace-${name}`,
    logger: createLogger(`millrace-${name}`, 'error'),
  });
  return { config, kafka };
}
