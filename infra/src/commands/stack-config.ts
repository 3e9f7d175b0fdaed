import { resolve } from 'node:path';
import { addressesShape, loadConfig } from '@millrace/config';
import { z } from 'zod';
import type { StackComponents } from '../stack/types.js';

const schema = z.object({ ...addressesShape });

export interface StackCommandConfig {
  dataDir: string;
  cacheDir: string;
  components: StackComponents;
}

/**
 * Reads the MILLRACE_* address variables. A server whose variable is set in the environment is external
 * (the launcher only waits for it); the others are started locally on the default ports.
 */
export function readStackConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): StackCommandConfig {
  const config = loadConfig(schema, { env });
  const isSet = (key: string) => env[key] !== undefined && env[key] !== '';
  const dataDir = resolve(cwd, config.MILLRACE_DATA_DIR);
  return {
    dataDir,
    cacheDir: env.MILLRACE_CACHE_DIR ? resolve(cwd, env.MILLRACE_CACHE_DIR) : resolve(dataDir, 'cache'),
    components: {
      kafka: isSet('MILLRACE_KAFKA_BROKERS')
        ? { mode: 'external', brokers: [...config.MILLRACE_KAFKA_BROKERS] }
        : { mode: 'local' },
      questdb: isSet('MILLRACE_QUESTDB_URL')
        ? { mode: 'external', url: config.MILLRACE_QUESTDB_URL, pgUrl: config.MILLRACE_QUESTDB_PG_URL }
        : { mode: 'local' },
      mosquitto: isSet('MILLRACE_MQTT_URL')
        ? { mode: 'external', url: config.MILLRACE_MQTT_URL }
        : { mode: 'local' },
    },
  };
}
