import { createKafka, ensureTopics } from '@millrace/kafka';
import { createLogger } from '@millrace/observability';
import { migrate, QueryClient } from '@millrace/questdb';
import type { StackAddresses } from './stack/types.js';

/**
 * Creates what the pipeline needs on a healthy stack: every Kafka topic with its dead-letter twin, and
 * every QuestDB table. Runs after every start of `millrace start` and of the integration-test stack, so
 * it is idempotent; services may also call the same functions at their own start-up.
 */
export async function provisionStack(addresses: StackAddresses, log: (line: string) => void): Promise<void> {
  const kafka = createKafka({
    brokers: addresses.kafkaBrokers,
    clientId: 'millrace-provision',
    logger: createLogger('millrace-provision', 'error'),
  });
  const topics = await ensureTopics(kafka);
  log(
    `kafka topics: ${topics.created.length} created, ${topics.grown.length} grown` +
      (topics.created.length > 0 ? ` (${topics.created.join(', ')})` : ''),
  );
  const client = new QueryClient({ pgUrl: addresses.questdbPgUrl, maxConnections: 1 });
  try {
    const tables = await migrate(client);
    log(
      `questdb tables: ${tables.createdTables.length} created, ${tables.addedColumns.length} columns added, ` +
        `${tables.createdViews.length} rollup views created` +
        (tables.createdTables.length > 0 ? ` (${tables.createdTables.join(', ')})` : ''),
    );
  } finally {
    await client.end();
  }
}
