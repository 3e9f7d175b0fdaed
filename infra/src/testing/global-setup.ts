import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { provisionStack } from '../provision.js';
import { discoverServices, serviceEnv, superviseServices } from '../services.js';
import { freePort } from '../stack/ports.js';
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
 * provisions it and provides its addresses as `inject('stack')`. Like every Millrace stack it stores what
 * reaches Kafka: a stream processor runs beside it (an external stack is expected to run its own). The
 * returned teardown stops them.
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
  const components = testComponents();
  const ownStack = components.kafka.mode === 'local' && components.questdb.mode === 'local';
  let processor: Awaited<ReturnType<typeof startProcessor>> | undefined;
  try {
    await provisionStack(stack.addresses, log);
    if (ownStack) processor = await startProcessor(stack.addresses, `${repoRoot}.millrace/test-stack`, log);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  project.provide('stack', stack.addresses);
  return async () => {
    await processor?.stop();
    await stack.stop();
  };
}

/** The built stream processor, run as `millrace start` runs it; its log is in the test stack's logs folder. */
async function startProcessor(
  addresses: Parameters<typeof serviceEnv>[0],
  dataDir: string,
  log: (line: string) => void,
) {
  const service = discoverServices(repoRoot, log).find((entry) => entry.name === 'stream-processor');
  if (!service) throw new Error('services/stream-processor is not built: run npm run build');
  const port = await freePort();
  const processor = await superviseServices({
    services: [service],
    env: { ...serviceEnv(addresses, dataDir, process.env), STREAM_PROCESSOR_PORT: String(port) },
    dataDir,
    log,
  });
  const deadline = Date.now() + 60_000;
  while ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok !== true) {
    if (Date.now() > deadline) {
      await processor.stop({ force: true });
      throw new Error(`the test stack's stream processor did not become ready; log: ${dataDir}/logs`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  log(`stream-processor: ready on port ${port}`);
  return processor;
}
