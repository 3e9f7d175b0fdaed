// bench/ingest-mqtt (issue 3: MQTT ingest). A fixed workload from the simulator's high-load profile
// (500 tags x 100 ms, docs/demo-plant.md section 4) is sent three ways in one run on a private stack:
//   1. baseline: a bare kafkajs producer sends the samples as columnar batches, grouped per tag in the
//      same 1,000-sample windows the ingest batches by;
//   2. the MQTT publishers alone (QoS 1, one message per sample) to topics nobody subscribes to;
//   3. the same publishers to `plant1/...`, with services/ingest-mqtt (run as `millrace start` runs it)
//      producing to plant.samples.v1; timed from the first publish until a consumer has seen every sample.
// Prints the rates, the ratio ingest / baseline (goal ≥ 0.7×), CPU per process and the load average.
// Run after `npm run build`: node bench/dist/ingest-mqtt.js
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createKafka, ensureTopics } from '@millrace/kafka';
import { createLogger } from '@millrace/observability';
import { HighLoadProfile } from '@millrace/plant-sim';
import { TOPICS } from '@millrace/schema';
import { discoverServices, serviceArgs, serviceEnv, type StackPorts } from '@millrace/infra';
import { CompressionTypes, Partitioners, type Kafka } from 'kafkajs';
import mqtt from 'mqtt';
import { figure, repoRoot, startBenchStack, until } from './common.js';

const TAGS = Number(process.env.BENCH_TAGS ?? 500);
const PERIOD_MS = 100;
const TICKS = Math.ceil(Number(process.env.BENCH_SAMPLES ?? 300_000) / TAGS);
const TOTAL = TAGS * TICKS;
const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 2);
// The ingest's batching (INGEST_MQTT_LINGER_MS / _BATCH_MAX_SAMPLES, set explicitly below so the
// baseline's windows stay the ingest's).
const LINGER_MS = 20;
const WINDOW_SAMPLES = 1_000;
const RECEIVE_MAXIMUM = 2_000; // INGEST_MQTT_RECEIVE_MAXIMUM
/**
 * Mosquitto keeps at most `max_queued_messages` (1,000 by default) for a subscriber beyond its
 * in-flight window and drops the rest, so publishers may run at most this far ahead of what the
 * ingest has put into Kafka; otherwise the figure would count a broker losing messages.
 */
const LEAD = Number(process.env.BENCH_LEAD ?? 2_500);
const START_MS = 1_763_000_000_000;
const SEED = 1;
/** Ports of this bench's own stack: it may run while bench/ingest-opcua holds the shared bench ports. */
const PORTS: StackPorts = {
  kafka: 39092,
  kafkaController: 39093,
  questdbHttp: 39000,
  questdbPg: 38812,
  questdbIlp: 39009,
  mqtt: 31883,
};
const SERVICE_PORT = 28092;
const NAME = 'ingest-mqtt';
const dataDir = `${repoRoot}.millrace/bench-${NAME}`;
const PROBE_TAG = 'plant1/bench/probe/value';

/** Shared between the main thread and the publishers: [credit, published per worker..., acked per worker...]. */
const CREDIT = 0;
const publishedSlot = (worker: number) => 1 + worker;
const ackedSlot = (worker: number) => 1 + PUBLISHERS + worker;
const UNLIMITED = 0x7fff_ffff;

interface PublisherInit {
  index: number;
  mqttUrl: string;
  control: SharedArrayBuffer;
}
interface RunCommand {
  /** Replaces the tags' leading `plant1`: `benchonly` reaches no subscriber. */
  root: string;
}
interface RunReport {
  firstPublishAt: number;
  lastAckAt: number;
  /** Time spent waiting for credit from the main thread, i.e. for the ingest to catch up. */
  creditWaitMs: number;
  /** Time spent waiting for Mosquitto's PUBACKs (more than `MAX_OUTSTANDING` unacknowledged). */
  ackWaitMs: number;
  /** Share of the phase this publisher's event loop was busy (1 = the publisher itself is the limit). */
  utilization: number;
}

const MAX_OUTSTANDING = 2_000;
const CHUNK = 256;

/** Wall-clock ms with sub-ms precision, comparable between threads. */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A publisher thread: owns the tags `index, index + PUBLISHERS, ...` and publishes their samples in time order. */
async function publisherThread(init: PublisherInit): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('not a worker');
  const control = new Int32Array(init.control);
  const profile = new HighLoadProfile({ seed: SEED, tagCount: TAGS, periodMs: PERIOD_MS });
  const mine = profile.tags.flatMap((tag, index) => (index % PUBLISHERS === init.index ? [index] : []));
  // Built before the clock starts: the figure is about transport, not about formatting JSON.
  const tags: string[] = [];
  const payloads: Buffer[] = [];
  for (const { tsMs, values } of profile.ticks(START_MS, START_MS + TICKS * PERIOD_MS)) {
    for (const index of mine) {
      tags.push(profile.tags[index] ?? '');
      payloads.push(Buffer.from(JSON.stringify({ value: values[index], ts: tsMs })));
    }
  }
  const client = await mqtt.connectAsync(init.mqttUrl, {
    clientId: `bench-publisher-${process.pid}-${init.index}-${Date.now()}`,
    clean: true,
    reconnectPeriod: 0,
  });
  port.on('message', (command: RunCommand | 'exit') => {
    if (command === 'exit') {
      void client.endAsync().then(() => port.close());
      return;
    }
    void run(command).then((report) => port.postMessage(report));
  });
  port.postMessage('ready');

  async function run({ root }: RunCommand): Promise<RunReport> {
    const topics = tags.map((tag) => tag.replace(/^plant1\//, `${root}/`));
    let acked = 0;
    let next = 0;
    let lastAckAt = 0;
    let creditWaitMs = 0;
    let ackWaitMs = 0;
    let allAcked: () => void = () => undefined;
    let failed: (error: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      allAcked = resolve;
      failed = reject;
    });
    const onAck = (error?: Error) => {
      if (error) {
        failed(error);
        return;
      }
      acked += 1;
      Atomics.store(control, ackedSlot(init.index), acked);
      if (acked === topics.length) {
        lastAckAt = now();
        allAcked();
      }
    };
    const elu0 = performance.eventLoopUtilization();
    const firstPublishAt = now();
    while (next < topics.length) {
      const credit = Math.floor((Atomics.load(control, CREDIT) * topics.length) / TOTAL);
      const limit = Math.min(topics.length, credit, acked + MAX_OUTSTANDING);
      if (next >= limit) {
        const waitStart = now();
        await sleep(1);
        if (limit === credit) creditWaitMs += now() - waitStart;
        else ackWaitMs += now() - waitStart;
        continue;
      }
      const end = Math.min(limit, next + CHUNK);
      for (; next < end; next += 1)
        client.publish(topics[next] ?? '', payloads[next] ?? '', { qos: 1 }, onAck);
      Atomics.store(control, publishedSlot(init.index), next);
      // Let the socket write and the PUBACKs come in between chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await done;
    const utilization = performance.eventLoopUtilization(elu0).utilization;
    return { firstPublishAt, lastAckAt, creditWaitMs, ackWaitMs, utilization };
  }
}

interface Publishers {
  run(root: string): Promise<RunReport[]>;
  setCredit(messages: number): void;
  stop(): Promise<void>;
}

async function startPublishers(mqttUrl: string): Promise<Publishers> {
  const control = new Int32Array(new SharedArrayBuffer(4 * (1 + 2 * PUBLISHERS)));
  const workers = await Promise.all(
    Array.from({ length: PUBLISHERS }, async (_, index) => {
      const init: PublisherInit = { index, mqttUrl, control: control.buffer as SharedArrayBuffer };
      const worker = new Worker(new URL(import.meta.url), { workerData: init });
      await new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', () => resolve());
      });
      return worker;
    }),
  );
  return {
    run: (root) =>
      Promise.all(
        workers.map(
          (worker) =>
            new Promise<RunReport>((resolve, reject) => {
              worker.once('message', resolve);
              worker.once('error', reject);
              worker.postMessage({ root } satisfies RunCommand);
            }),
        ),
      ),
    setCredit: (messages) => Atomics.store(control, CREDIT, Math.min(UNLIMITED, messages)),
    stop: async () => {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise((resolve) => {
              worker.once('exit', resolve);
              worker.postMessage('exit');
            }),
        ),
      );
    },
  };
}

/** The workload as the baseline sends it: per 1,000-sample window, one columnar batch per tag. */
function baselineWindows(profile: HighLoadProfile): { tag: string; ts: number[]; values: number[] }[][] {
  const windows: { tag: string; ts: number[]; values: number[] }[][] = [];
  let current = new Map<string, { tag: string; ts: number[]; values: number[] }>();
  let inWindow = 0;
  for (const { tsMs, values } of profile.ticks(START_MS, START_MS + TICKS * PERIOD_MS)) {
    for (const [index, tag] of profile.tags.entries()) {
      let batch = current.get(tag);
      if (!batch) {
        batch = { tag, ts: [], values: [] };
        current.set(tag, batch);
      }
      batch.ts.push(tsMs * 1000);
      batch.values.push(values[index] ?? 0);
      inWindow += 1;
      if (inWindow === WINDOW_SAMPLES) {
        windows.push([...current.values()]);
        current = new Map();
        inWindow = 0;
      }
    }
  }
  if (current.size > 0) windows.push([...current.values()]);
  return windows;
}

/** A bare kafkajs producer (idempotent, acks=all, no schema check), one request per window, as a minimal ingest. */
async function baseline(kafka: Kafka, profile: HighLoadProfile): Promise<{ rate: number; messages: number }> {
  const topic = { ...TOPICS.samples, name: `bench.bare.samples.${Date.now()}` };
  await ensureTopics(kafka, [topic]);
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const windows = baselineWindows(profile);
  const t0 = performance.now();
  for (const window of windows) {
    const ingestTs = Date.now() * 1000;
    await producer.send({
      topic: topic.name,
      acks: -1,
      compression: CompressionTypes.None,
      messages: window.map((batch) => ({
        key: batch.tag,
        value: JSON.stringify({
          tag: batch.tag,
          source: `mqtt:${batch.tag}`,
          ingestTs,
          ts: batch.ts,
          values: batch.values,
        }),
      })),
    });
  }
  const rate = TOTAL / ((performance.now() - t0) / 1000);
  await producer.disconnect();
  return { rate, messages: windows.reduce((sum, window) => sum + window.length, 0) };
}

/** CPU seconds (user + system) a process has used, from /proc (Linux; 100 ticks a second). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function receivedByIngest(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${SERVICE_PORT}/metrics`)).text();
  // Labels in any order: the registry adds `service` to every series.
  const match = /^ingest_mqtt_messages_total\{[^}]*result="sample"[^}]*\} (\S+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

function loadLine(when: string): void {
  const [one, five, fifteen] = loadavg().map((value) => value.toFixed(2));
  console.log(
    `load average ${when} (1/5/15 min): ${one} / ${five} / ${fifteen} on 2 cores  (goal: information)`,
  );
}

async function main(): Promise<void> {
  const profile = new HighLoadProfile({ seed: SEED, tagCount: TAGS, periodMs: PERIOD_MS });
  console.log(
    `bench/ingest-mqtt: ${TOTAL.toLocaleString('en-US')} samples (${TAGS} tags x ${TICKS} ticks of the high-load profile), ` +
      `${PUBLISHERS} MQTT publisher threads, batches of ${WINDOW_SAMPLES} samples / ${LINGER_MS} ms`,
  );
  loadLine('at start');
  const stack = await startBenchStack(NAME, PORTS);
  const { addresses } = stack;
  const pidOf = (component: string) => stack.started.find((entry) => entry.component === component)?.pid;
  const kafka = createKafka({
    brokers: addresses.kafkaBrokers,
    clientId: 'bench',
    logger: createLogger('bench', 'error'),
  });
  let publishers: Publishers | undefined;
  let ingest: ReturnType<typeof spawn> | undefined;
  try {
    const bare = await baseline(kafka, profile);

    publishers = await startPublishers(addresses.mqttUrl);
    publishers.setCredit(UNLIMITED);
    const alone = await publishers.run('benchonly');
    const aloneRate =
      TOTAL /
      ((Math.max(...alone.map((report) => report.lastAckAt)) -
        Math.min(...alone.map((report) => report.firstPublishAt))) /
        1000);

    const service = discoverServices(repoRoot, () => undefined).find((entry) => entry.name === NAME);
    if (!service) throw new Error('ingest-mqtt is not built: npm run build');
    rmSync(`${dataDir}/spool`, { recursive: true, force: true }); // a crashed run's leftovers would be counted
    ingest = spawn(process.execPath, serviceArgs(service), {
      env: {
        ...serviceEnv(addresses, dataDir, process.env),
        MILLRACE_LOG_LEVEL: 'warn',
        INGEST_MQTT_PORT: String(SERVICE_PORT),
        INGEST_MQTT_CLIENT_ID: `bench-ingest-mqtt-${process.pid}-${Date.now()}`,
        INGEST_MQTT_LINGER_MS: String(LINGER_MS),
        INGEST_MQTT_BATCH_MAX_SAMPLES: String(WINDOW_SAMPLES),
        INGEST_MQTT_RECEIVE_MAXIMUM: String(RECEIVE_MAXIMUM),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const ingestPid = ingest.pid ?? 0;
    await until(
      async () =>
        (await fetch(`http://127.0.0.1:${SERVICE_PORT}/readyz`).catch(() => undefined))?.ok === true,
      60_000,
      'ingest-mqtt ready',
    );

    // Counts what reached Kafka: every sample batch's ts column, the probe left out.
    let seen = 0;
    let seenMessages = 0;
    let lastSeenAt = 0;
    const crossed: { share: number; at: number }[] = [];
    const consumer = kafka.consumer({
      groupId: `bench-ingest-mqtt-${Date.now()}`,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.samples.name, fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (!message.value || message.key?.toString('utf8') === PROBE_TAG) continue;
          seen += (JSON.parse(message.value.toString('utf8')) as { ts: unknown[] }).ts.length;
          seenMessages += 1;
        }
        lastSeenAt = now();
        for (const share of [0.1, 0.9]) {
          if (seen >= share * TOTAL && !crossed.some((entry) => entry.share === share))
            crossed.push({ share, at: lastSeenAt });
        }
      },
    });
    await joined;

    // The subscription is made after /readyz turns ready: a probe tells when it is in place.
    const probe = await mqtt.connectAsync(addresses.mqttUrl, { clientId: `bench-probe-${Date.now()}` });
    let probes = 0;
    await until(
      async () => {
        probes += 1;
        await probe.publishAsync(PROBE_TAG, JSON.stringify({ value: 0, ts: START_MS }), { qos: 1 });
        await sleep(200);
        return (await receivedByIngest()) > 0;
      },
      30_000,
      'ingest-mqtt subscribed',
      0,
    );
    await probe.endAsync();

    // Credit for the publishers: what is surely in Kafka (seen by the consumer, or received by the
    // ingest less its in-flight window, whose PUBACKs wait for Kafka) plus LEAD.
    const mosquittoLog = stack.started.find((entry) => entry.component === 'mosquitto')?.logFile;
    const logFrom = mosquittoLog ? readFileSync(mosquittoLog).length : 0;
    let received = 0;
    let receivedAllAt = 0;
    let stop = false;
    const cpu0 = {
      ingest: cpuSeconds(ingestPid),
      mosquitto: cpuSeconds(pidOf('mosquitto') ?? 0),
      kafka: cpuSeconds(pidOf('kafka') ?? 0),
      bench: process.cpuUsage(),
    };
    const metricsPoller = (async () => {
      while (!stop) {
        received = (await receivedByIngest().catch(() => received + probes)) - probes;
        if (received >= TOTAL && receivedAllAt === 0) receivedAllAt = now();
        await sleep(100);
      }
    })();
    const creditTimer = setInterval(
      () => publishers?.setCredit(Math.max(seen, received - RECEIVE_MAXIMUM) + LEAD),
      2,
    );
    publishers.setCredit(LEAD);
    const reports = await publishers.run('plant1');
    const t0 = Math.min(...reports.map((report) => report.firstPublishAt));
    const publishedAt = Math.max(...reports.map((report) => report.lastAckAt));
    // All in Kafka, or stalled (the broker dropped messages): the figure is then what arrived.
    await until(
      async () => seen >= TOTAL || now() - Math.max(lastSeenAt, publishedAt) > 15_000,
      600_000,
      'samples',
    );
    const t1 = seen >= TOTAL ? lastSeenAt : Math.max(lastSeenAt, publishedAt);
    const elapsedS = (t1 - t0) / 1000;
    const cpu = {
      ingest: (cpuSeconds(ingestPid) - cpu0.ingest) / elapsedS,
      mosquitto: (cpuSeconds(pidOf('mosquitto') ?? 0) - cpu0.mosquitto) / elapsedS,
      kafka: (cpuSeconds(pidOf('kafka') ?? 0) - cpu0.kafka) / elapsedS,
      bench: (() => {
        const used = process.cpuUsage(cpu0.bench);
        return (used.user + used.system) / 1e6 / elapsedS;
      })(),
    };
    // Mosquitto says so once per episode of dropping a subscriber's messages (queue full).
    const drops = mosquittoLog
      ? readFileSync(mosquittoLog)
          .subarray(logFrom)
          .toString('utf8')
          .split('\n')
          .filter((line) => /dropped/i.test(line))
      : [];
    clearInterval(creditTimer);
    stop = true;
    await metricsPoller;
    await consumer.disconnect();

    const ingestRate = seen / elapsedS;
    const tenth = crossed.find((entry) => entry.share === 0.1)?.at ?? Number.NaN;
    const ninth = crossed.find((entry) => entry.share === 0.9)?.at ?? Number.NaN;
    const percent = (share: number) => Math.round(share * 100);
    console.log('');
    figure('bare kafkajs producer, same samples and windows (baseline)', bare.rate, 'samples/s', 'baseline');
    figure(
      'ingest-mqtt sustained into Kafka, first publish → all consumed',
      ingestRate,
      'samples/s',
      '≥ 0.7× baseline',
    );
    figure('ratio ingest-mqtt / bare producer', ingestRate / bare.rate, '×', '≥ 0.7');
    figure(
      'ingest-mqtt steady state (10 % → 90 % of samples)',
      (0.8 * TOTAL) / ((ninth - tenth) / 1000),
      'samples/s',
      'information',
    );
    figure('MQTT publishers alone (QoS 1, no subscriber)', aloneRate, 'msg/s', 'information');
    figure(
      'MQTT publishers during the ingest run',
      TOTAL / ((publishedAt - t0) / 1000),
      'msg/s',
      'information',
    );
    figure(
      'received by ingest-mqtt (its messages counter)',
      receivedAllAt > 0 ? TOTAL / ((receivedAllAt - t0) / 1000) : Number.NaN,
      'msg/s',
      'information',
    );
    figure('samples that reached Kafka', seen, `of ${TOTAL.toLocaleString('en-US')}`, 'all');
    figure('Mosquitto log lines about dropped messages', drops.length, '', '0');
    figure('samples per Kafka message, ingest-mqtt', seen / seenMessages, '', 'information');
    figure('samples per Kafka message, baseline', TOTAL / bare.messages, '', 'information');
    for (const [index, report] of reports.entries()) {
      console.log(
        `publisher ${index}: busy ${percent(report.utilization)} %, waited for credit ${Math.round(report.creditWaitMs)} ms, ` +
          `for PUBACKs ${Math.round(report.ackWaitMs)} ms  (publishers alone: busy ${percent(alone[index]?.utilization ?? 0)} %)`,
      );
    }
    console.log(
      `CPU during the ingest run (1.0 = one core): ingest-mqtt ${cpu.ingest.toFixed(2)}, mosquitto ${cpu.mosquitto.toFixed(2)}, ` +
        `kafka ${cpu.kafka.toFixed(2)}, bench (publishers + consumer) ${cpu.bench.toFixed(2)}`,
    );
    loadLine('at end');
  } finally {
    await publishers?.stop();
    if (ingest && ingest.exitCode === null) {
      const exited = new Promise((resolve) => ingest?.once('exit', resolve));
      ingest.kill('SIGTERM');
      await exited;
    }
    await stack.stop();
  }
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  // A failure rejects here and reaches the main thread as the worker's 'error' event.
  await publisherThread(workerData as PublisherInit);
}
