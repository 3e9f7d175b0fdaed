import { ingestMqttConfigSchema, simulatorConfigSchema } from '@millrace/config';
import { createKafka, PipelineProducer } from '@millrace/kafka';
import { waitFor } from '@millrace/kafka/testing';
import { bootstrapService, Observability, type RunningService } from '@millrace/observability';
import { IlpWriter, QueryClient } from '@millrace/questdb';
import { TABLES, TOPICS, type ProductionOrder, type RiskEvent } from '@millrace/schema';
import { nowUs, type EpochUs } from '@millrace/time';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../infra/src/stack/ports.js';
import { IngestMqttModule } from '../../ingest-mqtt/src/ingest-mqtt.module.js';
import { Plant } from '../../simulator/src/plant.js';
import { SimulatedMes } from '../../simulator/src/simulated-mes.js';
import { SimulatorModule } from '../../simulator/src/simulator.module.js';
import { startBridge, untilReady, type TestBridge } from './testing/bridge.js';

/**
 * The whole loop against the shared Kafka, QuestDB (with the stack's stream-processor storing the topics)
 * and Mosquitto, the simulator in-process (its node-opcua server and its simulated MES) and ingest-mqtt
 * in-process carrying its battery line (cells, machine signals) into Kafka: orders
 * pulled from the MES, orders pushed with Idempotency-Key, genealogy, machine commands over OPC UA and
 * MQTT with their safety checks and audit, QC results to the MES through an outage and a restart.
 */
const stack = inject('stack');
const line = `t${randomUUID().slice(0, 8)}`;
const opcuaMachine = `CAS_${line}`;
const mqttMachine = `CASMQ_${line}`;

describe('mes-bridge (simulator with OPC UA server and simulated MES, shared stack)', () => {
  const simDir = mkdtempSync(join(tmpdir(), 'millrace-mes-sim-'));
  const bridgeDir = mkdtempSync(join(tmpdir(), 'millrace-mes-bridge-'));
  let simulator: RunningService;
  let ingest: RunningService;
  let bridge: TestBridge;
  let bridgeEnv: Record<string, string>;
  let producer: PipelineProducer;
  let questdb: QueryClient;

  const as = (role: keyof TestBridge['tokens']) => ({ authorization: `Bearer ${bridge.tokens[role]}` });
  const get = async (url: string) => (await bridge.app.inject({ method: 'GET', url })).json();

  beforeAll(async () => {
    const opcuaPort = await freePort();
    const simPort = await freePort();
    simulator = await bootstrapService(
      {
        name: 'simulator',
        schema: simulatorConfigSchema,
        port: (config) => config.SIMULATOR_PORT,
        module: (config, observability) => SimulatorModule.forRoot(config, observability),
      },
      {
        MILLRACE_DATA_DIR: simDir,
        MILLRACE_MQTT_URL: stack.mqttUrl,
        MILLRACE_LOG_LEVEL: 'warn',
        SIMULATOR_PORT: String(simPort),
        SIMULATOR_OPCUA_PORT: String(opcuaPort),
        SIMULATOR_MQTT_PERIOD_MS: '500',
        SIMULATOR_MQTT_CLIENT_ID: `millrace-simulator-${line}`,
        SIMULATOR_CELL_LINE: line,
        SIMULATOR_CELL_PERIOD_MS: '300',
        SIMULATOR_FQC_DELAY_MS: '500',
        SIMULATOR_OQC_DELAY_MS: '1000',
        SIMULATOR_FILES_ENABLED: 'false',
      },
    );
    ingest = await bootstrapService(
      {
        name: 'ingest-mqtt',
        schema: ingestMqttConfigSchema,
        port: (config) => config.INGEST_MQTT_PORT,
        module: (config) => IngestMqttModule.forRoot(config),
      },
      {
        MILLRACE_DATA_DIR: simDir,
        MILLRACE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        MILLRACE_MQTT_URL: stack.mqttUrl,
        MILLRACE_LOG_LEVEL: 'warn',
        INGEST_MQTT_PORT: String(await freePort()),
        INGEST_MQTT_CLIENT_ID: `millrace-ingest-mqtt-${line}`,
        INGEST_MQTT_SESSION_EXPIRY_S: '60',
      },
    );
    bridgeEnv = {
      MES_BRIDGE_MES_URL: `http://127.0.0.1:${simPort}/mes`,
      MES_BRIDGE_PULL_ENABLED: 'true',
      MES_BRIDGE_PULL_PERIOD_MS: '200',
      MES_BRIDGE_OUTBOX_ENABLED: 'true',
      MES_BRIDGE_OUTBOX_RETRY_INITIAL_MS: '100',
      MES_BRIDGE_OUTBOX_RETRY_MAX_MS: '500',
      MES_BRIDGE_OUTBOX_MAX_ATTEMPTS: '1000',
      MES_BRIDGE_SUMMARY_PERIOD_MS: '2000',
      MES_BRIDGE_SUMMARY_SETTLE_MS: '5000',
      MES_BRIDGE_SUMMARY_PREFIX: `plant1/cells/${line}/`,
      MES_BRIDGE_COMMANDS_ENABLED: 'true',
      MES_BRIDGE_OPCUA_ENDPOINT: `opc.tcp://127.0.0.1:${opcuaPort}/millrace`,
      MES_BRIDGE_COMMAND_TARGETS: JSON.stringify([
        {
          machine: opcuaMachine,
          setpoint: 'speed_setpoint',
          unit: 'rpm',
          via: 'opcua',
          namespaceUri: 'urn:millrace:simulator',
          nodeId: `plant1/cells/${line}/CAS_01/speed_setpoint`,
          min: 600,
          max: 1400,
          maxStep: 100,
          minIntervalMs: 0,
        },
        {
          machine: mqttMachine,
          setpoint: 'speed_setpoint',
          via: 'mqtt',
          topic: `plant1/cells/${line}/CAS_01/cmd/speed_setpoint`,
          min: 600,
          max: 1400,
          maxStep: 100,
          minIntervalMs: 0,
        },
      ]),
    };
    bridge = await startBridge(stack, bridgeEnv, bridgeDir);
    await untilReady(bridge);
    const observability = new Observability('mes-bridge-test', { logLevel: 'warn', defaultMetrics: false });
    producer = new PipelineProducer(
      createKafka({
        brokers: stack.kafkaBrokers,
        clientId: `mes-test-${line}`,
        logger: observability.logger,
      }),
      'mes-bridge-test',
    );
    await producer.connect();
    questdb = new QueryClient({ pgUrl: stack.questdbPgUrl });
  });

  afterAll(async () => {
    await bridge?.close();
    await simulator?.app.close();
    await ingest?.app.close();
    await producer?.disconnect();
    await questdb?.end();
    rmSync(simDir, { recursive: true, force: true });
    rmSync(bridgeDir, { recursive: true, force: true });
  });

  it('pulls the simulated MES’s orders (ETag) and publishes them; the stream-processor stores them', async () => {
    const current = simulator.app.get(Plant).cells.currentOrder.orderId;
    await waitFor(
      async () =>
        ((await get(`/api/mes/orders?line=${line}`)).orders as ProductionOrder[]).some(
          (order) => order.orderId === current && order.state === 'running',
        ),
      20_000,
      'the running order pulled',
    );
    await waitFor(
      async () =>
        (await questdb.count(TABLES.orders.name, `WHERE line = '${line}' AND state = 'running'`)) > 0,
      60_000,
      'the order in QuestDB',
    );
  });

  it('takes pushed orders: upsert, Idempotency-Key replay and misuse, transitions with 409 reasons', async () => {
    const pushLine = `${line}b`;
    const orderId = `${line}-push`;
    const body = { orderId, line: pushLine, product: 'Standard Capacity Cell', quantity: 100 };
    const post = (payload: object, key?: string, url = '/api/mes/orders') =>
      bridge.app.inject({
        method: 'POST',
        url,
        payload,
        headers: { ...as('mes'), ...(key ? { 'idempotency-key': key } : {}) },
      });
    const created = await post(body, `${line}-k1`);
    expect(created.statusCode, created.body).toBe(201);
    const replay = await post(body, `${line}-k1`);
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toEqual(created.json());
    expect((await post({ ...body, quantity: 5 }, `${line}-k1`)).statusCode).toBe(422);
    expect((await post(body)).json()).toMatchObject({ changed: false });

    const skip = await post({ state: 'completed' }, undefined, `/api/mes/orders/${orderId}/state`);
    expect(skip.statusCode).toBe(409);
    expect(skip.json().message).toMatch(/released; it cannot become completed/);
    const running = await post({ state: 'running' }, undefined, `/api/mes/orders/${orderId}/state`);
    expect(running.json().order).toMatchObject({ state: 'running', startedAt: expect.any(Number) });
    const second = await post({ ...body, orderId: `${orderId}-2`, state: 'running' });
    expect(second.statusCode).toBe(409);
    expect(second.json().message).toMatch(new RegExp(`running order ${orderId}`));
    const done = await post({ state: 'completed' }, undefined, `/api/mes/orders/${orderId}/state`);
    expect(done.json().order).toMatchObject({ state: 'completed', endedAt: expect.any(Number) });
    const order = done.json().order as ProductionOrder;
    const during = new Date((order.startedAt! + order.endedAt!) / 2000).toISOString();
    expect((await get(`/api/mes/genealogy?line=${pushLine}&at=${during}`)).order.orderId).toBe(orderId);
    expect((await get(`/api/mes/genealogy?line=${pushLine}`)).order).toBeNull();
  });

  it('answers what was in production on the line: order and cell', async () => {
    await waitFor(
      async () => {
        const answer = await get(`/api/mes/genealogy?line=${line}`);
        return answer.order !== null && answer.cell !== null && answer.cell.orderId === answer.order.orderId;
      },
      90_000,
      'order and cell at now',
    );
  });

  it('executes commands over OPC UA and MQTT within bounds; rejects the rest; audits all in QuestDB', async () => {
    const plant = simulator.app.get(Plant);
    const send = async (machine: string, value: number, dryRun = false) => {
      const response = await bridge.app.inject({
        method: 'POST',
        url: '/api/mes/commands',
        headers: as('operator'),
        payload: { machine, setpoint: 'speed_setpoint', value, reason: `test ${line}`, dryRun },
      });
      expect(response.statusCode, response.body).toBe(202);
      const { commandId } = response.json() as { commandId: string };
      let result: { result: string; detail: string } | undefined;
      await waitFor(
        async () => {
          const { recentResults } = await get('/api/mes/commands?limit=200');
          result = (recentResults as { commandId: string; result: string; detail: string }[]).find(
            (entry) => entry.commandId === commandId,
          );
          return result !== undefined;
        },
        30_000,
        `result of ${machine} ${value}`,
      );
      return { commandId, ...result! };
    };
    const start = plant.cells.speedSetpointRpm;
    const accepted = await send(opcuaMachine, start - 50);
    expect(accepted.result, accepted.detail).toBe('accepted');
    expect(plant.cells.speedSetpointRpm).toBe(start - 50);
    expect(await send(opcuaMachine, start - 300)).toMatchObject({
      result: 'rejected',
      detail: expect.stringMatching(/maximum step/),
    });
    expect(await send(opcuaMachine, 2_000)).toMatchObject({
      result: 'rejected',
      detail: expect.stringMatching(/outside 600-1400/),
    });
    expect(await send('FORM_01', 900)).toMatchObject({
      result: 'rejected',
      detail: expect.stringMatching(/not an allow-listed target/),
    });
    expect(await send(opcuaMachine, start - 100, true)).toMatchObject({
      result: 'accepted',
      detail: expect.stringMatching(/dry run/),
    });
    expect(plant.cells.speedSetpointRpm).toBe(start - 50);
    const viaMqtt = await send(mqttMachine, start - 80);
    expect(viaMqtt.result, viaMqtt.detail).toBe('accepted');
    await waitFor(() => plant.cells.speedSetpointRpm === start - 80, 10_000, 'setpoint over MQTT');

    // The audit: the stream-processor stores the command (who, what, why) and its result.
    await waitFor(
      async () => {
        const rows = await questdb.query<{ result: string; issued_by: string | null; reason: string | null }>(
          `SELECT result, issued_by, reason FROM ${TABLES.machineCommands.name} WHERE command_id = $1`,
          [accepted.commandId],
        );
        return (
          rows.some((row) => row.result === 'accepted') &&
          rows.some((row) => row.issued_by === 'user:dev-operator' && row.reason === `test ${line}`)
        );
      },
      60_000,
      'audit rows in QuestDB',
    );
    const { audit } = (await get('/api/mes/commands?limit=1000')) as {
      audit: { commandId: string; result: string; issuedBy: string | null; reason: string | null }[];
    };
    expect(
      audit.find((row) => row.commandId === accepted.commandId && row.result === 'accepted'),
    ).toMatchObject({
      issuedBy: 'user:dev-operator',
      reason: `test ${line}`,
    });
  });

  it('delivers QC results and machine-data summaries to the MES, through an outage and a restart', async () => {
    const mes = simulator.app.get(SimulatedMes);
    const risk = (n: number): RiskEvent => ({
      cellId: `${line}-cell-${n}`,
      orderId: 'o1',
      ts: nowUs(),
      modelVersion: 'test',
      riskClass: 'high',
      probability: 0.9,
      recommendation: 'short-term testing recommended',
      reasons: [],
    });
    const delivered = (n: number) =>
      [...mes.received.results.values()].some(
        (result) => (result as { cellId: string }).cellId === `${line}-cell-${n}`,
      );
    await producer.send(TOPICS.risk, [{ key: `${line}-cell-1`, value: risk(1) }]);
    await waitFor(() => delivered(1), 30_000, 'QC result 1 at the MES');

    mes.outage(600_000);
    await producer.send(TOPICS.risk, [{ key: `${line}-cell-2`, value: risk(2) }]);
    await waitFor(
      async () => (await get('/api/mes/outbox')).delivering?.attempts >= 2,
      30_000,
      'retries during the outage',
    );
    const metrics = (await bridge.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/millrace_mes_outbox_depth\{[^}]*\} [1-9]/);
    await bridge.close({ keepData: true });
    mes.outage(0);
    bridge = await startBridge(stack, bridgeEnv, bridgeDir);
    await waitFor(() => delivered(2), 30_000, 'QC result 2 after the restart');
    // Samples the next summary windows will cover, stored now: the summary must not depend on how fast the
    // simulator's own signals travel MQTT → Kafka → QuestDB on a busy machine.
    const writer = await IlpWriter.connect({ httpUrl: stack.questdbUrl });
    const nowMs = Date.now();
    await writer.write(
      TABLES.samples,
      Array.from({ length: 40 }, (_, i) => ({
        ts: ((nowMs - 6_000 + i * 1_000) * 1_000) as EpochUs,
        tag: `plant1/cells/${line}/CAS_01/speed`,
        value: 1_000 + i,
        source: 'mes-bridge-test',
      })),
    );
    await writer.close();
    await waitFor(() => mes.received.machineData.size > 0, 90_000, 'a machine-data summary');
    const summary = [...mes.received.machineData.values()][0] as { tags: { tag: string; avg: number }[] };
    expect(summary.tags.some((entry) => entry.tag === `plant1/cells/${line}/CAS_01/speed`)).toBe(true);
  });
});
