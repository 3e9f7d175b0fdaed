import { Observability } from '@millrace/observability';
import { inspectionTopic } from '@millrace/plant-sim';
import { encodeMessage, TOPICS } from '@millrace/schema';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { connect, type MqttClient } from 'mqtt';
import { z } from 'zod';
import { SimulatorMetrics } from './metrics.js';
import { Plant } from './plant.js';
import { SIMULATOR_CONFIG, type SimulatorSettings } from './tokens.js';

const setpointCommandSchema = z.object({ value: z.number() });

/**
 * The battery line's MQTT side (docs/demo-plant.md, section 3): one QoS 1 message per signal value
 * on its tag path, inspection records as cells pass their stages, and the CAS_01 speed setpoint
 * taken from `plant1/cells/<line>/CAS_01/cmd/speed_setpoint`.
 */
@Injectable()
export class MqttPlantPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: SimulatorSettings,
    @Inject(Plant) private readonly plant: Plant,
    @Inject(SimulatorMetrics) private readonly metrics: SimulatorMetrics,
    @Inject(Observability) private readonly observability: Observability,
  ) {}

  get commandTopic(): string {
    return `plant1/cells/${this.config.SIMULATOR_CELL_LINE}/CAS_01/cmd/speed_setpoint`;
  }

  onApplicationBootstrap(): void {
    const logger = this.observability.logger.child({ component: 'mqtt' });
    // Not awaited: the broker may come up after the simulator; mqtt.js reconnects on its own.
    const client = connect(this.config.MILLRACE_MQTT_URL, {
      clientId: this.config.SIMULATOR_MQTT_CLIENT_ID,
      reconnectPeriod: 1_000,
      connectTimeout: 5_000,
    });
    this.client = client;
    this.observability.health.register('mqtt', () => client.connected);
    client.on('connect', () => {
      logger.info({ url: this.config.MILLRACE_MQTT_URL }, 'MQTT connected');
      client.subscribe(this.commandTopic, { qos: 1 }, (error) => {
        if (error) logger.error({ err: error }, 'cannot subscribe to the setpoint command topic');
      });
    });
    client.on('error', (error) => logger.warn({ err: error }, 'MQTT error'));
    client.on('message', (topic, payload) => this.onCommand(topic, payload));
    this.timer = setInterval(() => this.tick(), this.config.SIMULATOR_MQTT_PERIOD_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Not forced: in-flight QoS 1 publishes get their PUBACK before the connection closes.
    await this.client?.endAsync();
    this.client = undefined;
  }

  private tick(): void {
    const output = this.plant.drainCells(Date.now());
    const client = this.client;
    for (const signal of output.signals) {
      this.publish(client, 'signal', signal.tag, JSON.stringify({ value: signal.value, ts: signal.tsMs }));
    }
    for (const record of output.inspections) {
      const payload = Buffer.from(encodeMessage(TOPICS.inspections, record));
      this.publish(
        client,
        'inspection',
        inspectionTopic(this.config.SIMULATOR_CELL_LINE, record.stage),
        payload,
      );
    }
  }

  private publish(
    client: MqttClient | undefined,
    kind: string,
    topic: string,
    payload: string | Buffer,
  ): void {
    // A machine does not buffer what it measured while its broker was away: drop and count.
    if (!client?.connected) {
      this.metrics.mqttDropped.inc({ kind });
      return;
    }
    client.publish(topic, payload, { qos: 1 }, (error) => {
      if (error) this.metrics.mqttDropped.inc({ kind });
      else this.metrics.mqttMessages.inc({ kind });
    });
  }

  private onCommand(topic: string, payload: Buffer): void {
    if (topic !== this.commandTopic) return;
    const logger = this.observability.logger.child({ component: 'mqtt' });
    let value: number;
    try {
      value = setpointCommandSchema.parse(JSON.parse(payload.toString('utf8'))).value;
      this.plant.setSpeedSetpoint(value);
    } catch (error) {
      this.metrics.setpointWrites.inc({ via: 'mqtt', result: 'rejected' });
      logger.warn({ topic, reason: (error as Error).message }, 'setpoint command refused');
      return;
    }
    this.metrics.setpointWrites.inc({ via: 'mqtt', result: 'accepted' });
    logger.info({ value }, 'CAS_01 speed setpoint set over MQTT');
  }
}
