import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { mqttHandshake } from './mqtt.js';

describe('the integration-test stack', () => {
  const stack = inject('stack');

  it('has a Kafka cluster that kafkajs can describe', async () => {
    const admin = new Kafka({
      clientId: 'stack-int-spec',
      brokers: stack.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      expect(cluster.controller).toBe(cluster.brokers[0]?.nodeId);
    } finally {
      await admin.disconnect();
    }
  });

  it('has a QuestDB that answers SQL over HTTP', async () => {
    const response = await fetch(new URL('/exec?query=select%201%20x', stack.questdbUrl));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { dataset: unknown[][] };
    expect(body.dataset).toEqual([[1]]);
  });

  it('has an MQTT broker that accepts a connection', async () => {
    await expect(mqttHandshake(stack.mqttUrl)).resolves.toBeUndefined();
  });
});
