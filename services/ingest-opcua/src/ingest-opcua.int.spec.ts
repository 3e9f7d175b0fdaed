import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, ensureTopics, PipelineProducer } from '@millrace/kafka';
import { uniqueTopic, waitFor } from '@millrace/kafka/testing';
import { endpointsSchema, type Endpoint } from '@millrace/opcua-mapping';
import { createLogger } from '@millrace/observability';
import { IlpWriter, QueryClient } from '@millrace/questdb';
import {
  deadLetterTopicOf,
  sampleBatchSchema,
  TABLES,
  TOPICS,
  type SampleBatch,
  type TagMeta,
} from '@millrace/schema';
import { DiskQueue, SpoolingPublisher } from '@millrace/spool';
import type { Kafka } from 'kafkajs';
import {
  DataType,
  makeEUInformation,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
  VariantArrayType,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { OpcuaIngest } from './opcua-ingest.js';
import { freePort } from '../../../infra/src/stack/ports.js';

const logger = createLogger(
  'ingest-opcua-test',
  (process.env.TEST_LOG_LEVEL as 'debug' | undefined) ?? 'silent',
);
const NAMESPACE = 'urn:millrace:ingest-opcua-test';
/** Source timestamps are BASE_MS + 100 ms × the value, so a sample's timestamp can be checked against its value. */
const BASE_MS = Date.UTC(2026, 0, 1);
const PERIOD_MS = 100;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

let pkiRoot: string;
beforeAll(() => {
  // Certificates are made once (a few seconds each, in pure JS) and shared by the tests of this file.
  pkiRoot = mkdtempSync(join(tmpdir(), 'millrace-ingest-opcua-pki-'));
});
afterAll(() => rmSync(pkiRoot, { recursive: true, force: true }));

/** A counter shared across restarts of a test server, so values keep rising through an outage. */
interface Counter {
  next: number;
}

interface TestServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A small plant: `<site>/area/line/{speed (Double), running (Boolean), status (String), count (Int64)}`
 * in folders, updated every 100 ms with source timestamps; every 10th speed is Uncertain.
 */
async function startServer(port: number, site: string, counter: Counter): Promise<TestServer> {
  const server = new OPCUAServer({
    port,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    resourcePath: '/test',
    serverCertificateManager: new OPCUACertificateManager({
      rootFolder: join(pkiRoot, 'server'),
      automaticallyAcceptUnknownCertificate: true,
    }),
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    allowAnonymous: true,
    disableDiscovery: true,
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('no address space');
  // Another namespace first, so the test namespace's index is not the usual 1.
  addressSpace.registerNamespace('urn:millrace:decoy');
  const namespace = addressSpace.registerNamespace(NAMESPACE);
  let parent: UAObject = addressSpace.rootFolder.objects;
  const path: string[] = [];
  for (const name of [site, 'area', 'line']) {
    path.push(name);
    parent = namespace.addFolder(parent, { browseName: name, nodeId: `s=${path.join('/')}` });
  }
  const variable = (name: string, dataType: DataType): UAVariable =>
    namespace.addVariable({
      organizedBy: parent,
      browseName: name,
      nodeId: `s=${site}/area/line/${name}`,
      dataType,
    });
  // An AnalogItemType with EngineeringUnits, as PLC servers publish measured values (Part 8, §5.3.2.2).
  const speed = namespace.addAnalogDataItem({
    organizedBy: parent,
    browseName: 'speed',
    nodeId: `s=${site}/area/line/speed`,
    dataType: 'Double',
    engineeringUnitsRange: { low: 0, high: 1e9 },
    engineeringUnits: makeEUInformation('MTR', 'm/min', 'metre per minute'),
  });
  const running = variable('running', DataType.Boolean);
  const status = variable('status', DataType.String);
  const count = variable('count', DataType.Int64);
  const timer = setInterval(() => {
    const n = (counter.next += 1);
    const timestamp = new Date(BASE_MS + n * PERIOD_MS);
    speed.setValueFromSource(
      { dataType: DataType.Double, value: n },
      n % 10 === 0 ? StatusCodes.UncertainLastUsableValue : StatusCodes.Good,
      timestamp,
    );
    running.setValueFromSource(
      { dataType: DataType.Boolean, value: n % 2 === 0 },
      StatusCodes.Good,
      timestamp,
    );
    status.setValueFromSource({ dataType: DataType.String, value: `s${n % 3}` }, StatusCodes.Good, timestamp);
    // node-opcua holds an Int64 as [high, low]; a scalar must say so, or it reads as an array.
    count.setValueFromSource(
      new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [0, n] }),
      StatusCodes.Good,
      timestamp,
    );
  }, PERIOD_MS);
  await server.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    await server.shutdown(0);
  };
  cleanups.push(stop);
  return { url: `opc.tcp://127.0.0.1:${port}/test`, stop };
}

async function collect<T>(kafka: Kafka, topic: string): Promise<T[]> {
  const received: T[] = [];
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push(JSON.parse(message.value?.toString('utf8') ?? 'null') as T);
    },
  });
  cleanups.push(() => consumer.disconnect());
  return received;
}

async function startIngest(endpoints: unknown[]) {
  const stack = inject('stack');
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'ingest-opcua-test', logger });
  const topic = uniqueTopic(TOPICS.samples, 'opcua');
  const tagsTopic = uniqueTopic(TOPICS.tags, 'opcua');
  await ensureTopics(kafka, [topic, deadLetterTopicOf(topic), tagsTopic]);
  const producer = new PipelineProducer(kafka, 'ingest-opcua');
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-ingest-opcua-'));
  const { queue } = DiskQueue.open({ dir: join(dataDir, 'spool'), maxBytes: 64 * 1024 * 1024 });
  const publisher = new SpoolingPublisher({ producer, queue, logger });
  await publisher.start();
  const gapWriter = await IlpWriter.connect({ httpUrl: stack.questdbUrl });
  const metrics = new Registry();
  const ingest = new OpcuaIngest({
    endpoints: endpointsSchema.parse(endpoints) as Endpoint[],
    pkiDir: join(pkiRoot, 'client'),
    trustUnknownServers: true,
    publisher,
    gapWriter,
    logger,
    metrics,
    lingerMs: 20,
    batchMaxSamples: 1000,
    reconnect: { initialMs: 200, maxMs: 1_000 },
    connectTimeoutMs: 15_000,
    silenceTimeoutMs: 3_000,
    topic,
    tagsTopic,
  });
  await ingest.start();
  const received = await collect<SampleBatch>(kafka, topic.name);
  const catalog = await collect<TagMeta>(kafka, tagsTopic.name);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await ingest.stop();
    await publisher.stop();
    await producer.disconnect();
    await gapWriter.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  const state = (name: string) => ingest.endpoints.find((endpoint) => endpoint.name === name)?.state;
  return { ingest, received, catalog, metrics, stop, state };
}

/** Every sample of a tag, flattened from its batches in arrival order. */
function samplesOf(batches: readonly SampleBatch[], tag: string) {
  const out: { ts: number; value: unknown; quality: string }[] = [];
  for (const batch of batches) {
    if (batch.tag !== tag) continue;
    batch.ts.forEach((ts, index) =>
      out.push({ ts, value: batch.values[index], quality: batch.quality?.[index] ?? 'good' }),
    );
  }
  return out;
}

const site = () => `t${randomUUID().slice(0, 8)}`;
const browse = (name: string) => [{ namespaceUri: NAMESPACE, path: `${name}/area/line` }];
const endpointConfig = (url: string, name: string, extra: Record<string, unknown> = {}) => ({
  url,
  name,
  // 0: report every change (Part 4, §5.12.1.2); sampling at the update period would alias and skip values.
  samplingIntervalMs: 0,
  publishingIntervalMs: 200,
  browse: browse(name),
  ...extra,
});

describe('ingest-opcua', () => {
  it('browses a folder and sends values with quality and source timestamps to Kafka, in columns per tag', async () => {
    const plant = site();
    const server = await startServer(await freePort(), plant, { next: 0 });
    const h = await startIngest([endpointConfig(server.url, plant)]);
    await waitFor(
      () => samplesOf(h.received, `${plant}/area/line/speed`).length >= 25,
      30_000,
      'speed samples',
    );
    await waitFor(
      () => samplesOf(h.received, `${plant}/area/line/count`).length >= 5,
      10_000,
      'count samples',
    );

    for (const batch of h.received) {
      expect(sampleBatchSchema.safeParse(batch).success).toBe(true);
      expect(batch.source).toBe(`opcua:${server.url}`);
    }
    const speed = samplesOf(h.received, `${plant}/area/line/speed`);
    for (const sample of speed) {
      expect(sample.ts).toBe((BASE_MS + (sample.value as number) * PERIOD_MS) * 1000);
      expect(sample.quality).toBe((sample.value as number) % 10 === 0 ? 'uncertain' : 'good');
    }
    expect(speed.some((sample) => sample.quality === 'uncertain')).toBe(true);
    // In order, none lost once flowing.
    const values = speed.map((sample) => sample.value as number);
    expect(values).toEqual(Array.from({ length: values.length }, (_, i) => (values[0] ?? 0) + i));
    const running = samplesOf(h.received, `${plant}/area/line/running`);
    expect(running.every((sample) => typeof sample.value === 'boolean')).toBe(true);
    const status = samplesOf(h.received, `${plant}/area/line/status`);
    expect(status.map((sample) => sample.value)).toContain('s1');
    const count = samplesOf(h.received, `${plant}/area/line/count`);
    expect(
      count.every((sample) => sample.ts === (BASE_MS + (sample.value as number) * PERIOD_MS) * 1000),
    ).toBe(true);
    // Several samples of a tag share a message.
    expect(h.received.some((batch) => batch.ts.length > 1)).toBe(true);
    expect(await h.metrics.getSingleMetricAsString('ingest_opcua_monitored_items')).toContain(
      `endpoint="${plant}"} 4`,
    );
    // The catalog: unit from EngineeringUnits, value type from the DataType attribute.
    await waitFor(() => h.catalog.length >= 4, 10_000, 'catalog entries');
    const entry = (name: string) => h.catalog.find((meta) => meta.tag === `${plant}/area/line/${name}`);
    expect(entry('speed')).toMatchObject({
      unit: 'm/min',
      valueType: 'number',
      source: `opcua:${server.url}`,
    });
    expect(entry('running')).toMatchObject({ valueType: 'boolean' });
    expect(entry('status')).toMatchObject({ valueType: 'string' });
    expect(entry('count')?.valueType).toBe('number');
    expect(entry('count')?.unit).toBeUndefined();
  });

  it('after a server restart, re-creates session, subscription and monitored items and records the gap', async () => {
    const stack = inject('stack');
    const plant = site();
    const port = await freePort();
    const counter = { next: 0 };
    let server = await startServer(port, plant, counter);
    const h = await startIngest([endpointConfig(server.url, plant)]);
    const tag = `${plant}/area/line/speed`;
    await waitFor(() => samplesOf(h.received, tag).length >= 10, 30_000, 'samples before the restart');

    const outageStart = Date.now();
    await server.stop();
    const lastBefore = counter.next;
    await waitFor(() => h.state(plant) !== 'up', 15_000, 'the ingest sees the server gone');
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // the outage
    server = await startServer(port, plant, counter);
    const outageEnd = Date.now();
    await waitFor(
      () => samplesOf(h.received, tag).some((sample) => (sample.value as number) > lastBefore + 20),
      30_000,
      'samples after the restart',
    );
    expect(h.state(plant)).toBe('up');

    // No hole beyond the outage: the first sample after the restart is among the server's first values.
    const values = samplesOf(h.received, tag).map((sample) => sample.value as number);
    const firstAfter = values.find((value) => value > lastBefore) ?? Infinity;
    const restartedAt = lastBefore + 1;
    expect(firstAfter - restartedAt).toBeLessThan(3_000 / PERIOD_MS); // within ~3 s of the new server's start
    const afterRestart = values.filter((value) => value >= firstAfter);
    expect(afterRestart).toEqual(Array.from({ length: afterRestart.length }, (_, i) => firstAfter + i));

    // The gap event, in QuestDB.
    const client = new QueryClient({ pgUrl: stack.questdbPgUrl });
    cleanups.push(() => client.end());
    let rows: { ts: number; end_ts: number; source: string }[] = [];
    await waitFor(
      async () => {
        rows = await client.query(
          `SELECT ts, end_ts, source FROM ${TABLES.ingestGaps.name} WHERE endpoint = $1`,
          [plant],
        );
        return rows.length > 0;
      },
      30_000,
      'the gap row',
    );
    expect(rows).toHaveLength(1);
    const gap = rows[0]!;
    expect(gap.source).toBe(`opcua:${server.url}`);
    expect(gap.ts / 1000).toBeGreaterThan(outageStart - 2_000);
    expect(gap.ts / 1000).toBeLessThanOrEqual(outageStart + 1_000);
    expect(gap.end_ts / 1000).toBeGreaterThanOrEqual(outageEnd);
    expect(gap.end_ts / 1000).toBeLessThan(outageEnd + 15_000);
    expect(await h.metrics.getSingleMetricAsString('ingest_opcua_gaps_total')).toContain(
      `endpoint="${plant}"} 1`,
    );
  });

  it('keeps the other endpoints flowing while one is down or was never there', async () => {
    const [plantA, plantB, plantC] = [site(), site(), site()];
    const serverA = await startServer(await freePort(), plantA, { next: 0 });
    const serverB = await startServer(await freePort(), plantB, { next: 0 });
    const deadUrl = `opc.tcp://127.0.0.1:${await freePort()}/test`;
    const h = await startIngest([
      endpointConfig(serverA.url, plantA),
      endpointConfig(serverB.url, plantB),
      endpointConfig(deadUrl, plantC),
    ]);
    const tagA = `${plantA}/area/line/speed`;
    const tagB = `${plantB}/area/line/speed`;
    await waitFor(
      () => samplesOf(h.received, tagA).length >= 10 && samplesOf(h.received, tagB).length >= 10,
      30_000,
      'both live endpoints flowing',
    );
    expect(h.state(plantC)).not.toBe('up');
    await serverA.stop();
    await waitFor(() => h.state(plantA) !== 'up', 15_000, 'endpoint A seen down');
    const bBefore = samplesOf(h.received, tagB).length;
    await waitFor(
      () => samplesOf(h.received, tagB).length >= bBefore + 30,
      15_000,
      'B still flowing while A is down',
    );
    expect(h.state(plantB)).toBe('up');
    expect(h.state(plantA)).not.toBe('up');
  });

  it('connects with SignAndEncrypt (Basic256Sha256)', async () => {
    const plant = site();
    const server = await startServer(await freePort(), plant, { next: 0 });
    const h = await startIngest([endpointConfig(server.url, plant, { securityMode: 'SignAndEncrypt' })]);
    await waitFor(
      () => samplesOf(h.received, `${plant}/area/line/speed`).length >= 5,
      60_000,
      'encrypted samples',
    );
    expect(h.state(plant)).toBe('up');
  });
});
