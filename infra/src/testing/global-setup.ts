import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { provisionStack } from '../provision.js';
import { startStack } from '../stack/stack.js';
import type { StackComponents, StackPorts } from '../stack/types.js';

/** Ports of the test stack: clear of a dev stack (`millrace start`) running on the defaults. */
export const TEST_PORTS: StackPorts = {
  kafka: 19092,
  kafkaController: 19093,
  questdbHttp: 19000,
  questdbPg: 18812,
  questdbIlp: 19009,
  mqtt: 11883,
};

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** MILLRACE_TEST_* env vars point the tests at servers that already run instead of starting them. */
export function testComponents(env: NodeJS.ProcessEnv = process.env): StackComponents {
  const questdbUrl = env.MILLRACE_TEST_QUESTDB_URL;
  return {
    kafka: env.MILLRACE_TEST_KAFKA_BROKERS
      ? {
          mode: 'external',
          brokers: env.MILLRACE_TEST_KAFKA_BROKERS.split(',')
            .map((broker) => broker.trim())
            .filter(Boolean),
        }
      : { mode: 'local' },
    questdb: questdbUrl
      ? {
          mode: 'external',
          url: questdbUrl,
          pgUrl:
            env.MILLRACE_TEST_QUESTDB_PG_URL ??
            `postgresql://admin:quest@${new URL(questdbUrl).hostname}:8812/qdb`,
        }
      : { mode: 'local' },
    mosquitto: env.MILLRACE_TEST_MQTT_URL
      ? { mode: 'external', url: env.MILLRACE_TEST_MQTT_URL }
      : { mode: 'local' },
  };
}

/**
 * Vitest globalSetup of the `integration` project: starts one stack for the whole run in
 * `<repo>/.millrace/test-stack` (data wiped each run; downloads shared with the dev stack in `<repo>/.millrace/cache`),
 * provisions it and provides its addresses as `inject('stack')`. The returned teardown stops it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[test-stack] ${line}`);
  const stack = await startStack({
    dataDir: `${repoRoot}.millrace/test-stack`,
    cacheDir: `${repoRoot}.millrace/cache`,
    components: testComponents(),
    ports: TEST_PORTS,
    fresh: true,
    log,
    externalHints: {
      kafka: 'set MILLRACE_TEST_KAFKA_BROKERS to test against an existing Kafka',
      questdb:
        'set MILLRACE_TEST_QUESTDB_URL and MILLRACE_TEST_QUESTDB_PG_URL to test against an existing QuestDB',
      mosquitto: 'set MILLRACE_TEST_MQTT_URL to test against an existing MQTT broker',
    },
  });
  try {
    await provisionStack(stack.addresses, log);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  project.provide('stack', stack.addresses);
  return async () => {
    await stack.stop();
  };
}
