import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@millrace/kafka/testing';
import { bootstrapService, type RunningService } from '@millrace/observability';
import { simulatorConfigSchema } from '@millrace/config';
import { inspectionSchema } from '@millrace/schema';
import { connectAsync, type MqttClient } from 'mqtt';
import {
  AttributeIds,
  BrowseDirection,
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  type ClientSession,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Plant } from './plant.js';
import { SIMULATOR_NAMESPACE_URI } from './opcua-server.js';
import { SimulatorModule } from './simulator.module.js';
import { freePort } from '../../../infra/src/stack/ports.js';

describe('simulator (in-process OPC UA server, shared MQTT broker)', () => {
  const stack = inject('stack');
  const line = `t${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-simulator-'));
  const received: { topic: string; payload: string }[] = [];
  let service: RunningService;
  let subscriber: MqttClient;
  let endpoint: string;

  beforeAll(async () => {
    subscriber = await connectAsync(stack.mqttUrl, { clientId: `sim-test-${line}` });
    await subscriber.subscribeAsync(`plant1/cells/${line}/#`, { qos: 1 });
    subscriber.on('message', (topic, payload) => received.push({ topic, payload: payload.toString('utf8') }));
    const opcuaPort = await freePort();
    endpoint = `opc.tcp://127.0.0.1:${opcuaPort}/millrace`;
    service = await bootstrapService(
      {
        name: 'simulator',
        schema: simulatorConfigSchema,
        port: (config) => config.SIMULATOR_PORT,
        module: (config, observability) => SimulatorModule.forRoot(config, observability),
      },
      {
        MILLRACE_DATA_DIR: dataDir,
        MILLRACE_MQTT_URL: stack.mqttUrl,
        MILLRACE_LOG_LEVEL: 'warn',
        SIMULATOR_PORT: String(await freePort()),
        SIMULATOR_OPCUA_PORT: String(opcuaPort),
        SIMULATOR_OPCUA_PERIOD_MS: '200',
        SIMULATOR_MQTT_PERIOD_MS: '500',
        SIMULATOR_MQTT_CLIENT_ID: `millrace-simulator-${line}`,
        SIMULATOR_CELL_LINE: line,
        SIMULATOR_CELL_PERIOD_MS: '500',
        SIMULATOR_FQC_DELAY_MS: '1000',
        SIMULATOR_OQC_DELAY_MS: '2000',
        SIMULATOR_COIL_SECONDS: '10',
      },
    );
  });

  afterAll(async () => {
    await service?.app.close();
    await subscriber?.endAsync();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function withSession<T>(
    options: { securityMode: MessageSecurityMode; securityPolicy: SecurityPolicy },
    work: (session: ClientSession) => Promise<T>,
  ): Promise<T> {
    const client = OPCUAClient.create({
      ...options,
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 3, initialDelay: 200, maxDelay: 1_000 },
      clientCertificateManager: new OPCUACertificateManager({
        rootFolder: join(dataDir, 'client-pki'),
        automaticallyAcceptUnknownCertificate: true,
      }),
    });
    await client.connect(endpoint);
    try {
      const session = await client.createSession();
      try {
        return await work(session);
      } finally {
        await session.close();
      }
    } finally {
      await client.disconnect();
    }
  }

  it('serves the PLTCM tags as string NodeIds in the simulator namespace, with source timestamps', async () => {
    await withSession(
      { securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None },
      async (session) => {
        const namespaces = (await session.readNamespaceArray()) as string[];
        const ns = namespaces.indexOf(SIMULATOR_NAMESPACE_URI);
        expect(ns).toBeGreaterThan(0);
        const [force, coilId, thickness] = await session.read([
          { nodeId: `ns=${ns};s=plant1/coldmill/pltcm/stand1/roll_force`, attributeId: AttributeIds.Value },
          { nodeId: `ns=${ns};s=plant1/coldmill/pltcm/line/coil_id`, attributeId: AttributeIds.Value },
          { nodeId: `ns=${ns};s=plant1/coldmill/pltcm/mp10/thickness`, attributeId: AttributeIds.Value },
        ]);
        expect(force?.statusCode).toBe(StatusCodes.Good);
        expect(force?.value.dataType).toBe(DataType.Double);
        expect(force?.value.value).toBeGreaterThan(0);
        expect(Math.abs((force?.sourceTimestamp?.getTime() ?? 0) - Date.now())).toBeLessThan(5_000);
        expect(coilId?.value.value).toMatch(/^\d{10}B\d{3}$/);
        expect(thickness?.value.value).toBeGreaterThan(0.3);

        const browsed = await session.browse({
          nodeId: `ns=${ns};s=plant1/coldmill/pltcm`,
          browseDirection: BrowseDirection.Forward,
          includeSubtypes: true,
          resultMask: 63,
        });
        const names = (browsed.references ?? []).map((reference) => reference.browseName.name);
        expect(names).toEqual(
          expect.arrayContaining(['stand1', 'stand5', 'mp00', 'mp10', 'thermal_crown', 'line']),
        );
      },
    );
  });

  it('takes the CAS_01 speed setpoint over OPC UA, and the battery line follows it on MQTT', async () => {
    const plant = service.app.get(Plant);
    await withSession(
      { securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None },
      async (session) => {
        const ns = ((await session.readNamespaceArray()) as string[]).indexOf(SIMULATOR_NAMESPACE_URI);
        const nodeId = `ns=${ns};s=plant1/cells/${line}/CAS_01/speed_setpoint`;
        const status = await session.write({
          nodeId,
          attributeId: AttributeIds.Value,
          value: { value: { dataType: DataType.Double, value: 850 } },
        });
        expect(status).toBe(StatusCodes.Good);
        const back = await session.read({ nodeId, attributeId: AttributeIds.Value });
        expect(back.value.value).toBe(850);
        const refused = await session.write({
          nodeId,
          attributeId: AttributeIds.Value,
          value: { value: { dataType: DataType.Double, value: -5 } },
        });
        expect(refused).toBe(StatusCodes.BadOutOfRange);
      },
    );
    expect(plant.cells.speedSetpointRpm).toBe(850);
    const value = (topic: string) => (message: { topic: string; payload: string }) =>
      message.topic === `plant1/cells/${line}/CAS_01/${topic}`
        ? (JSON.parse(message.payload) as { value: number; ts: number })
        : undefined;
    await waitFor(
      () => received.some((message) => value('speed_setpoint')(message)?.value === 850),
      15_000,
      'setpoint 850 on MQTT',
    );
    // The drive settles with a time constant of a few seconds.
    await waitFor(
      () => received.some((message) => Math.abs((value('speed')(message)?.value ?? 0) - 850) < 30),
      30_000,
      'CAS_01 speed near 850 rpm',
    );
  });

  it('takes the setpoint from the MQTT command topic too', async () => {
    await subscriber.publishAsync(
      `plant1/cells/${line}/CAS_01/cmd/speed_setpoint`,
      JSON.stringify({ value: 900 }),
      {
        qos: 1,
      },
    );
    await waitFor(() => service.app.get(Plant).cells.speedSetpointRpm === 900, 10_000, 'setpoint 900');
  });

  it('publishes machine signals as {value, ts} and inspection records that pass inspectionSchema', async () => {
    await waitFor(
      () => received.some((message) => message.topic === `plant1/cells/${line}/inspections/OQC`),
      30_000,
      'an OQC record',
    );
    const signal = received.find((message) => message.topic === `plant1/cells/${line}/CAS_01/vibration`);
    const parsed = JSON.parse(signal?.payload ?? '{}') as { value: unknown; ts: unknown };
    expect(typeof parsed.value).toBe('number');
    expect(Math.abs(Number(parsed.ts) - Date.now())).toBeLessThan(60_000);
    const status = received.find((message) => message.topic === `plant1/cells/${line}/CAS_01/status`);
    expect(['operating', 'idle', 'fault']).toContain(
      (JSON.parse(status?.payload ?? '{}') as { value: string }).value,
    );
    for (const stage of ['IPQC', 'FQC', 'OQC']) {
      const record = received.find(
        (message) => message.topic === `plant1/cells/${line}/inspections/${stage}`,
      );
      const result = inspectionSchema.safeParse(JSON.parse(record?.payload ?? '{}'));
      expect(result.success).toBe(true);
      expect(result.data?.line).toBe(line);
      expect(result.data?.stage).toBe(stage);
    }
  });

  it('accepts a SignAndEncrypt Basic256Sha256 session', async () => {
    await withSession(
      { securityMode: MessageSecurityMode.SignAndEncrypt, securityPolicy: SecurityPolicy.Basic256Sha256 },
      async (session) => {
        const ns = ((await session.readNamespaceArray()) as string[]).indexOf(SIMULATOR_NAMESPACE_URI);
        const status = await session.read({
          nodeId: `ns=${ns};s=plant1/coldmill/pltcm/line/status`,
          attributeId: AttributeIds.Value,
        });
        expect(['running', 'threading', 'coil_change', 'stopped']).toContain(status.value.value);
      },
    );
  });

  it('drops the six files of each finished coil, never leaving a .tmp behind', async () => {
    const dropDir = join(dataDir, 'drop', 'pltcm');
    await waitFor(
      () => existsSync(dropDir) && readdirSync(dropDir).some((name) => name.startsWith('SETUP_')),
      30_000,
      'a coil',
    );
    const names = readdirSync(dropDir);
    const coilId =
      names.find((name) => name.startsWith('SETUP_'))?.slice('SETUP_'.length, -'.csv'.length) ?? '';
    expect(names).toEqual(
      expect.arrayContaining([
        `COIL_${coilId}.csv`,
        `COILER_${coilId}.txt`,
        `STRIP_${coilId}.csv`,
        `MEAS_${coilId}.csv`,
        `SEG_${coilId}.txt`,
        `SETUP_${coilId}.csv`,
      ]),
    );
    expect(names.filter((name) => name.includes(coilId) && name.endsWith('.tmp'))).toEqual([]);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/millrace_simulator_files_written_total\{[^}]*kind="SETUP"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/millrace_simulator_mqtt_messages_total\{[^}]*kind="inspection"[^}]*\} [1-9]/);
  });
});
