import { describe, expect, it } from 'vitest';
import { readStackConfig } from './stack-config.js';

describe('readStackConfig', () => {
  it('starts everything locally when no address is set, under the data dir resolved from cwd', () => {
    const config = readStackConfig({}, '/repo');
    expect(config.dataDir).toBe('/repo/.millrace');
    expect(config.cacheDir).toBe('/repo/.millrace/cache');
    expect(config.components).toEqual({
      kafka: { mode: 'local' },
      questdb: { mode: 'local' },
      mosquitto: { mode: 'local' },
    });
  });

  it('treats a server whose variable is set as external', () => {
    const config = readStackConfig(
      {
        MILLRACE_KAFKA_BROKERS: 'k1:9092,k2:9092',
        MILLRACE_MQTT_URL: 'mqtt://broker:1883',
        MILLRACE_DATA_DIR: '/d',
      },
      '/repo',
    );
    expect(config.dataDir).toBe('/d');
    expect(config.components.kafka).toEqual({ mode: 'external', brokers: ['k1:9092', 'k2:9092'] });
    expect(config.components.questdb).toEqual({ mode: 'local' });
    expect(config.components.mosquitto).toEqual({ mode: 'external', url: 'mqtt://broker:1883' });
  });
});
