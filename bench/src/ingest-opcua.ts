// bench/ingest-opcua (issue: OPC UA ingest). Serves the simulator's high-load profile (500 tags at 10 Hz,
// docs/demo-plant.md section 4) from an in-process OPC UA server, runs services/ingest-opcua against it
// as `millrace start` would, and counts the samples that reach Kafka per second over a steady window;
// beside it, in the same run, a bare kafkajs producer sends the same samples (one message per tag and
// tick) to a topic of its own. Prints both rates and their ratio (goal ≥ 0.7×).
// Run after `npm run build`: node bench/dist/ingest-opcua.js
import { spawn } from 'node:child_process';
import { createKafka, ensureTopics } from '@millrace/kafka';
import { createLogger } from '@millrace/observability';
import { HighLoadProfile } from '@millrace/plant-sim';
import { TOPICS } from '@millrace/schema';
import { nowUs } from '@millrace/time';
import { discoverServices, serviceArgs, serviceEnv } from '@millrace/infra';
import { CompressionTypes, type Consumer, type Kafka } from 'kafkajs';
import {
  DataType,
  OPCUACertificateManager,
  OPCUAServer,
  StatusCodes,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import { figure, repoRoot, rssMb, startBenchStack, until } from './common.js';

const TAGS = Number(process.env.BENCH_TAGS ?? 500);
const PERIOD_MS = Number(process.env.BENCH_PERIOD_MS ?? 100);
const WARMUP_S = 10;
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 30);
const OPCUA_PORT = 24840;
const SERVICE_PORT = 28091;
const NAMESPACE = 'urn:millrace:bench';
const dataDir = `${repoRoot}.millrace/bench-ingest-opcua`;

async function startServer(profile: HighLoadProfile): Promise<{ stop: () => Promise<void> }> {
  const server = new OPCUAServer({
    port: OPCUA_PORT,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    resourcePath: '/bench',
    serverCertificateManager: new OPCUACertificateManager({
      rootFolder: `${dataDir}/server-pki`,
      automaticallyAcceptUnknownCertificate: true,
    }),
    allowAnonymous: true,
    disableDiscovery: true,
    // 500 monitored items on one subscription, all changing at 10 Hz.
    serverCapabilities: { maxMonitoredItemsPerSubscription: 100_000 },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('no address space');
  const namespace = addressSpace.registerNamespace(NAMESPACE);
  const folders = new Map<string, UAObject>();
  const folder = (segments: readonly string[]): UAObject => {
    let parent: UAObject = addressSpace.rootFolder.objects;
    for (let depth = 1; depth <= segments.length; depth += 1) {
      const path = segments.slice(0, depth).join('/');
      let next = folders.get(path);
      if (!next) {
        next = namespace.addFolder(parent, { browseName: segments[depth - 1] ?? path, nodeId: `s=${path}` });
        folders.set(path, next);
      }
      parent = next;
    }
    return parent;
  };
  const variables: UAVariable[] = profile.tags.map((tag) => {
    const segments = tag.split('/');
    const name = segments.pop() ?? tag;
    return namespace.addVariable({
      organizedBy: folder(segments),
      browseName: name,
      nodeId: `s=${tag}`,
      dataType: DataType.Double,
    });
  });
  const values = new Float64Array(variables.length);
  const timer = setInterval(() => {
    const now = Date.now();
    profile.valuesAt(now, values);
    const timestamp = new Date(now);
    variables.forEach((variable, index) =>
      variable.setValueFromSource(
        { dataType: DataType.Double, value: values[index] ?? 0 },
        StatusCodes.Good,
        timestamp,
      ),
    );
  }, PERIOD_MS);
  await server.start();
  return {
    stop: async () => {
      clearInterval(timer);
      await server.shutdown(0);
    },
  };
}

/** Counts the samples arriving on a topic; `count` is read at the window's edges. */
async function sampleCounter(
  kafka: Kafka,
  topic: string,
): Promise<{ count: () => number; consumer: Consumer }> {
  let samples = 0;
  const consumer = kafka.consumer({
    groupId: `bench-${topic}-${Date.now()}`,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const value = message.value;
        if (!value) continue;
        // Count without a full parse: the ts column's length is the batch's sample count.
        samples += (JSON.parse(value.toString('utf8')) as { ts: unknown[] }).ts.length;
      }
    },
  });
  return { count: () => samples, consumer };
}

async function main(): Promise<void> {
  const profile = new HighLoadProfile({ seed: 1, tagCount: TAGS, periodMs: PERIOD_MS });
  console.log(
    `bench/ingest-opcua: ${TAGS} tags at ${1000 / PERIOD_MS} Hz = ${profile.samplesPerSecond.toLocaleString('en-US')} samples/s offered`,
  );
  const stack = await startBenchStack('ingest-opcua');
  const { addresses } = stack;
  const kafka = createKafka({
    brokers: addresses.kafkaBrokers,
    clientId: 'bench',
    logger: createLogger('bench', 'error'),
  });
  const bareTopic = { ...TOPICS.samples, name: 'bench.bare.plant.samples.v1' };
  await ensureTopics(kafka, [bareTopic]);
  const server = await startServer(profile);
  const service = discoverServices(repoRoot, () => undefined).find((entry) => entry.name === 'ingest-opcua');
  if (!service) throw new Error('ingest-opcua is not built: npm run build');
  const ingest = spawn(process.execPath, serviceArgs(service), {
    env: {
      ...serviceEnv(addresses, dataDir, process.env),
      MILLRACE_LOG_LEVEL: 'warn',
      INGEST_OPCUA_PORT: String(SERVICE_PORT),
      INGEST_OPCUA_ENDPOINTS: JSON.stringify([
        {
          url: `opc.tcp://127.0.0.1:${OPCUA_PORT}/bench`,
          name: 'bench',
          // 0: every change is reported; sampling at the update period would alias and skip values.
          samplingIntervalMs: 0,
          publishingIntervalMs: 100,
          browse: [{ namespaceUri: NAMESPACE, path: 'plant1/bench/hl' }],
        },
      ]),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let peakRss = 0;
  const rssTimer = setInterval(() => {
    if (ingest.pid) peakRss = Math.max(peakRss, rssMb(ingest.pid));
  }, 500);

  // The bare baseline: plain kafkajs (acks=all, no idempotence, no schema check), the same samples,
  // one message per tag and tick, as a minimal collector would send them.
  const bare = kafka.producer();
  await bare.connect();
  let bareRunning = true;
  const bareValues = new Float64Array(TAGS);
  const bareLoop = (async () => {
    while (bareRunning) {
      const tickStart = Date.now();
      profile.valuesAt(tickStart, bareValues);
      const ts = nowUs();
      await bare.send({
        topic: bareTopic.name,
        acks: -1,
        compression: CompressionTypes.None,
        messages: profile.tags.map((tag, index) => ({
          key: tag,
          value: JSON.stringify({
            tag,
            source: 'bench',
            ingestTs: ts,
            ts: [ts],
            values: [bareValues[index] ?? 0],
          }),
        })),
      });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, PERIOD_MS - (Date.now() - tickStart))));
    }
  })();

  try {
    await until(
      async () =>
        (await fetch(`http://127.0.0.1:${SERVICE_PORT}/readyz`).catch(() => undefined))?.ok === true,
      120_000,
      'ingest-opcua ready',
    );
    const ingested = await sampleCounter(kafka, TOPICS.samples.name);
    const bared = await sampleCounter(kafka, bareTopic.name);
    await new Promise((resolve) => setTimeout(resolve, WARMUP_S * 1000));
    const t0 = performance.now();
    const [i0, b0] = [ingested.count(), bared.count()];
    await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
    const seconds = (performance.now() - t0) / 1000;
    const ingestRate = (ingested.count() - i0) / seconds;
    const bareRate = (bared.count() - b0) / seconds;
    await ingested.consumer.disconnect();
    await bared.consumer.disconnect();

    console.log('');
    figure(
      'offered by the OPC UA server (high-load profile)',
      profile.samplesPerSecond,
      'samples/s',
      'information',
    );
    figure('bare kafkajs producer, same samples (baseline)', bareRate, 'samples/s', 'baseline');
    figure('ingest-opcua sustained into Kafka', ingestRate, 'samples/s', '≥ 0.7× baseline');
    figure('ratio ingest-opcua / bare producer', ingestRate / bareRate, '×', '≥ 0.7');
    figure('ingest-opcua peak RSS', peakRss, 'MB', 'information');
  } finally {
    clearInterval(rssTimer);
    bareRunning = false;
    await bareLoop.catch(() => undefined);
    await bare.disconnect();
    ingest.kill('SIGTERM');
    await new Promise((resolve) => ingest.once('exit', resolve));
    await server.stop();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
