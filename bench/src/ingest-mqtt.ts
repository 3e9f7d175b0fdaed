// bench/ingest-mqtt (issue 3: MQTT ingest). A fixed workload from the simulator's high-load profile
// (500 tags x 100 ms, docs/demo-plant.md section 4) is sent three ways in one run on a private stack:
//   1. the MQTT publishers alone, flat out (QoS 1, one message per sample), to topics nobody subscribes to;
//   2. the same publishers to `plant1/...` at offered rates from the profile's own 5,000 samples/s upwards
//      (x1.5 a step, then one bisection), with services/ingest-mqtt, run as `millrace start` runs it,
//      producing to plant.samples.v1. A step holds when every sample reached Kafka (counted by a consumer)
//      and Mosquitto dropped nothing (it queues what the ingest's receive window cannot take yet);
//   3. baseline: a bare kafkajs producer sends the same samples as columnar batches, one request at a
//      time, as fast as Kafka acks, in the same shape as the ingest's output at its best step: windows of
//      (its samples per Kafka message x tags) samples, so each side pays Kafka's per-message cost as
//      often. For continuity with earlier runs, also in the old fixed 1,000-sample windows (2 per message).
// Prints the sustained rate (the highest step held, timed first publish → last sample consumed), the
// ratio to the baseline (goal ≥ 0.7×), CPU per process at each step and the load average.
// Run after `npm run build`: node bench/dist/ingest-mqtt.js (env: BENCH_SAMPLES, BENCH_PUBLISHERS,
// BENCH_STEP_S, BENCH_LINGER_MS, BENCH_BATCH_SAMPLES, BENCH_RECEIVE_MAXIMUM, BENCH_PROFILE_DIR; BENCH_DEBUG=1 prints the ingest's received counter and the samples in Kafka every 100 ms).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createKafka, ensureTopics } from '@millrace/kafka';
import { createLogger } from '@millrace/observability';
import { HighLoadProfile } from '@millrace/plant-sim';
import { TOPICS } from '@millrace/schema';
import { discoverServices, serviceArgs, serviceEnv } from '@millrace/infra';
import { CompressionTypes, Partitioners, type Kafka } from 'kafkajs';
import mqtt from 'mqtt';
import { benchPorts, figure, repoRoot, startBenchStack, until } from './common.js';

const TAGS = Number(process.env.BENCH_TAGS ?? 500);
const PERIOD_MS = 100;
/** The workload: the baseline sends all of it; a step of the ladder sends at most this. */
const TICKS = Math.ceil(Number(process.env.BENCH_SAMPLES ?? 300_000) / TAGS);
const TOTAL = TAGS * TICKS;
const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 2);
/** A step publishes for about this long (fewer samples than the workload at low rates). */
const STEP_S = Number(process.env.BENCH_STEP_S ?? 10);
const FIRST_RATE = (TAGS * 1000) / PERIOD_MS;
const MAX_STEPS = 10;
// The ingest's batching (INGEST_MQTT_LINGER_MS / _BATCH_MAX_SAMPLES / _RECEIVE_MAXIMUM, set explicitly below).
// The receive window bounds the samples in flight, PUBACKs being held until Kafka has them: it must
// hold a few flushes for a flush to fill.
const LINGER_MS = Number(process.env.BENCH_LINGER_MS ?? 20);
const BATCH_SAMPLES = Number(process.env.BENCH_BATCH_SAMPLES ?? 10_000);
const RECEIVE_MAXIMUM = Number(process.env.BENCH_RECEIVE_MAXIMUM ?? 30_000);
/** The baseline's windows before it followed the ingest's output (sessions 1-2). */
const OLD_WINDOW_SAMPLES = 1_000;
const START_MS = 1_763_000_000_000;
const SEED = 1;
/** Ports of this bench's own stack: it may run while bench/ingest-opcua holds the shared bench ports. */
const PORTS = benchPorts(39);
const SERVICE_PORT = 28092;
const NAME = 'ingest-mqtt';
const dataDir = `${repoRoot}.millrace/bench-${NAME}`;
const PROBE_TAG = 'plant1/bench/probe/value';

interface PublisherInit {
  index: number;
  mqttUrl: string;
}
interface RunCommand {
  /** Replaces the tags' leading `plant1`: `benchonly` reaches no subscriber. */
  root: string;
  rate: number;
  ticks: number;
}
interface RunReport {
  firstPublishAt: number;
  lastAckAt: number;
  /** Share of the run this publisher's event loop was busy (near 1: the publisher itself is the limit). */
  utilization: number;
}

/** Unacknowledged publishes a publisher allows itself (mqtt.js would otherwise buffer without bound). */
const MAX_OUTSTANDING = 2_000;
const PACE_MS = 5;

/** Wall-clock ms with sub-ms precision, comparable between threads. */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A publisher thread: owns the tags `index, index + PUBLISHERS, ...` and publishes their samples in time order. */
async function publisherThread(init: PublisherInit): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('not a worker');
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

  async function run({ root, rate, ticks }: RunCommand): Promise<RunReport> {
    const count = ticks * mine.length;
    const topics = tags.slice(0, count).map((tag) => tag.replace(/^plant1\//, `${root}/`));
    const perMs = (rate * mine.length) / TAGS / 1000;
    let acked = 0;
    let next = 0;
    let lastAckAt = 0;
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
      if (acked === count) {
        lastAckAt = now();
        allAcked();
      }
    };
    const elu0 = performance.eventLoopUtilization();
    const firstPublishAt = now();
    while (next < count) {
      const due = Number.isFinite(perMs)
        ? Math.min(count, Math.floor((now() - firstPublishAt) * perMs) + 1)
        : count;
      const limit = Math.min(due, acked + MAX_OUTSTANDING);
      if (next >= limit) {
        // Ahead of schedule: wait for it; behind it with too many unacknowledged: wait for PUBACKs.
        await sleep(due > next ? 1 : PACE_MS);
        continue;
      }
      const end = Math.min(limit, next + 256);
      for (; next < end; next += 1)
        client.publish(topics[next] ?? '', payloads[next] ?? '', { qos: 1 }, onAck);
      // Let the socket write and the PUBACKs come in between chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await done;
    const utilization = performance.eventLoopUtilization(elu0).utilization;
    return { firstPublishAt, lastAckAt, utilization };
  }
}

interface Publishers {
  /** Every publisher's part of the first `ticks` ticks, `rate` samples/s in all (Infinity: flat out). */
  run(root: string, rate: number, ticks: number): Promise<RunReport[]>;
  stop(): Promise<void>;
}

async function startPublishers(mqttUrl: string): Promise<Publishers> {
  const workers = await Promise.all(
    Array.from({ length: PUBLISHERS }, async (_, index) => {
      const init: PublisherInit = { index, mqttUrl };
      const worker = new Worker(new URL(import.meta.url), { workerData: init });
      await new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', () => resolve());
      });
      return worker;
    }),
  );
  return {
    run: (root, rate, ticks) =>
      Promise.all(
        workers.map(
          (worker) =>
            new Promise<RunReport>((resolve, reject) => {
              worker.once('message', resolve);
              worker.once('error', reject);
              worker.postMessage({ root, rate, ticks } satisfies RunCommand);
            }),
        ),
      ),
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

/** The workload as the baseline sends it: per window of `windowSamples`, one columnar batch per tag. */
function baselineWindows(
  profile: HighLoadProfile,
  windowSamples: number,
): { tag: string; ts: number[]; values: number[] }[][] {
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
      if (inWindow === windowSamples) {
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
async function baseline(
  kafka: Kafka,
  profile: HighLoadProfile,
  windowSamples: number,
): Promise<{ rate: number; messages: number; cpuUsPerSample: number }> {
  const topic = { ...TOPICS.samples, name: `bench.bare.samples.${Date.now()}` };
  // A freshly started broker can still answer UNKNOWN_TOPIC_OR_PARTITION while it creates the topic.
  await until(
    () =>
      ensureTopics(kafka, [topic]).then(
        () => true,
        (error: unknown) => {
          if ((error as { retriable?: boolean }).retriable === true) return false;
          throw error;
        },
      ),
    60_000,
    `topic ${topic.name}`,
    1_000,
  );
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const windows = baselineWindows(profile, windowSamples);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpu0);
  await producer.disconnect();
  return {
    rate,
    messages: windows.reduce((sum, window) => sum + window.length, 0),
    cpuUsPerSample: (cpu.user + cpu.system) / TOTAL,
  };
}

/** CPU seconds (user + system) a process has used, from /proc (Linux; 100 ticks a second). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Seconds a process's threads were runnable but waiting for a CPU, from /proc schedstat: a starved process shows here. */
function runQueueSeconds(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).reduce((sum, task) => {
    const fields = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ');
    return sum + Number(fields[1]) / 1e9;
  }, 0);
}

interface IngestCounters {
  /** MQTT messages the ingest received and mapped to samples. */
  received: number;
  /** Records waiting in its store-and-forward spool (Kafka too slow or away). */
  spooled: number;
  /** Samples it counted as lost (spool full, refused by Kafka). */
  lost: number;
}

async function ingestCounters(): Promise<IngestCounters> {
  const text = await (await fetch(`http://127.0.0.1:${SERVICE_PORT}/metrics`)).text();
  // Labels in any order: the registry adds `service` to every series.
  const sum = (name: string, label = '') =>
    [...text.matchAll(new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\S+)$`, 'gm'))].reduce(
      (total, match) => total + Number(match[1]),
      0,
    );
  return {
    received: sum('ingest_mqtt_messages_total', 'result="sample"'),
    spooled: sum('millrace_spool_records'),
    lost: sum('ingest_mqtt_dropped_total'),
  };
}

function earliest(reports: readonly RunReport[], key: 'firstPublishAt'): number {
  return Math.min(...reports.map((report) => report[key]));
}

function latest(reports: readonly RunReport[], key: 'lastAckAt'): number {
  return Math.max(...reports.map((report) => report[key]));
}

function loadLine(when: string): void {
  const [one, five, fifteen] = loadavg().map((value) => value.toFixed(2));
  console.log(
    `load average ${when} (1/5/15 min): ${one} / ${five} / ${fifteen} on 2 cores  (goal: information)`,
  );
}

interface Step {
  rate: number;
  samples: number;
  held: boolean;
  /** First publish → last sample consumed. */
  intoKafka: number;
  published: number;
  arrived: number;
  /** Samples Mosquitto dropped: published, never received by the ingest. */
  drops: number;
  spooled: number;
  lost: number;
  /** Samples per Kafka message the ingest wrote during the step. */
  perMessage: number;
  /** CPU the ingest used per sample (µs): unlike rates, barely moved by other load on the machine. */
  cpuUsPerSample: number;
  cpu: { ingestWait: number; ingest: number; mosquitto: number; kafka: number; bench: number };
  publishersBusy: number;
}

async function main(): Promise<void> {
  const profile = new HighLoadProfile({ seed: SEED, tagCount: TAGS, periodMs: PERIOD_MS });
  console.log(
    `bench/ingest-mqtt: high-load profile ${TAGS} tags x ${1000 / PERIOD_MS} Hz; baseline ${TOTAL.toLocaleString('en-US')} samples; ` +
      `${PUBLISHERS} MQTT publisher threads; steps of ~${STEP_S} s; ingest batches ≤ ${BATCH_SAMPLES} samples, linger ${LINGER_MS} ms, ` +
      `receive maximum ${RECEIVE_MAXIMUM}`,
  );
  loadLine('at start');
  const stack = await startBenchStack(NAME, PORTS);
  const { addresses } = stack;
  const pidOf = (component: string) => stack.started.find((entry) => entry.component === component)?.pid ?? 0;
  const kafka = createKafka({
    brokers: addresses.kafkaBrokers,
    clientId: 'bench',
    logger: createLogger('bench', 'error'),
  });
  let publishers: Publishers | undefined;
  let ingest: ReturnType<typeof spawn> | undefined;
  try {
    publishers = await startPublishers(addresses.mqttUrl);
    const alone = await publishers.run('benchonly', Number.POSITIVE_INFINITY, TICKS);
    const aloneRate = TOTAL / ((latest(alone, 'lastAckAt') - earliest(alone, 'firstPublishAt')) / 1000);

    const service = discoverServices(repoRoot, () => undefined).find((entry) => entry.name === NAME);
    if (!service) throw new Error('ingest-mqtt is not built: npm run build');
    rmSync(`${dataDir}/spool`, { recursive: true, force: true }); // a crashed run's leftovers would be counted
    // BENCH_PROFILE_DIR=<dir>: a V8 CPU profile of the ingest (node --cpu-prof), written when it stops.
    const profileArgs = process.env.BENCH_PROFILE_DIR
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
      : [];
    // Fixed for the run: the drain below restarts the ingest onto the session that queued its backlog.
    const clientId = `bench-ingest-mqtt-${process.pid}-${Date.now()}`;
    const startIngest = async () => {
      const child = spawn(process.execPath, [...profileArgs, ...serviceArgs(service)], {
        env: {
          ...serviceEnv(addresses, dataDir, process.env),
          MILLRACE_LOG_LEVEL: 'warn',
          INGEST_MQTT_PORT: String(SERVICE_PORT),
          INGEST_MQTT_CLIENT_ID: clientId,
          INGEST_MQTT_LINGER_MS: String(LINGER_MS),
          INGEST_MQTT_BATCH_MAX_SAMPLES: String(BATCH_SAMPLES),
          INGEST_MQTT_RECEIVE_MAXIMUM: String(RECEIVE_MAXIMUM),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      ingest = child;
      await until(
        async () =>
          (await fetch(`http://127.0.0.1:${SERVICE_PORT}/readyz`).catch(() => undefined))?.ok === true,
        60_000,
        'ingest-mqtt ready',
      );
      return child;
    };
    const stopIngest = async (child: ReturnType<typeof spawn>) => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    };
    const ingestPid = (await startIngest()).pid ?? 0;

    // Counts what reached Kafka: every sample batch's ts column, the probe left out.
    let seen = 0;
    let seenMessages = 0;
    let lastSeenAt = 0;
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
      },
    });
    await joined;

    // The subscription is made after /readyz turns ready: a probe tells when it is in place.
    const probe = await mqtt.connectAsync(addresses.mqttUrl, { clientId: `bench-probe-${Date.now()}` });
    await until(
      async () => {
        await probe.publishAsync(PROBE_TAG, JSON.stringify({ value: 0, ts: START_MS }), { qos: 1 });
        await sleep(200);
        return (await ingestCounters()).received > 0;
      },
      30_000,
      'ingest-mqtt subscribed',
      0,
    );
    await probe.endAsync();

    const runStep = async (rate: number, stepS = STEP_S, label = 'step'): Promise<Step> => {
      const ticks = Math.min(TICKS, Math.ceil((rate * stepS) / TAGS));
      const samples = ticks * TAGS;
      const counters0 = await ingestCounters();
      const seen0 = seen;
      const messages0 = seenMessages;
      const cpu0 = {
        ingestWait: runQueueSeconds(ingestPid),
        ingest: cpuSeconds(ingestPid),
        mosquitto: cpuSeconds(pidOf('mosquitto')),
        kafka: cpuSeconds(pidOf('kafka')),
        bench: process.cpuUsage(),
      };
      const debug = process.env.BENCH_DEBUG
        ? setInterval(() => {
            void ingestCounters().then(({ received }) =>
              console.log(
                `  t ${Math.round(now() % 100_000)} ms: received ${received}, in Kafka ${seen - seen0}`,
              ),
            );
          }, 100)
        : undefined;
      const reports = await (publishers as Publishers).run('plant1', rate, ticks);
      const t0 = earliest(reports, 'firstPublishAt');
      const publishedAt = latest(reports, 'lastAckAt');
      // Every sample in Kafka, or nothing more for 10 s and nothing left in the spool (samples were lost).
      await until(
        async () =>
          seen - seen0 >= samples ||
          (now() - Math.max(lastSeenAt, publishedAt) > 10_000 && (await ingestCounters()).spooled === 0),
        600_000,
        'samples',
      );
      clearInterval(debug);
      const arrived = seen - seen0;
      const seconds = ((arrived >= samples ? lastSeenAt : now()) - t0) / 1000;
      const used = process.cpuUsage(cpu0.bench);
      // What the ingest never received, Mosquitto dropped (its queue for the ingest was full).
      const counters = await ingestCounters();
      const drops = samples - (counters.received - counters0.received);
      const published = samples / ((publishedAt - t0) / 1000);
      const step: Step = {
        rate,
        samples,
        held: arrived === samples && drops === 0 && published >= 0.95 * rate,
        intoKafka: arrived / seconds,
        published,
        arrived,
        drops,
        spooled: counters.spooled,
        lost: counters.lost - counters0.lost,
        perMessage: arrived / Math.max(1, seenMessages - messages0),
        cpuUsPerSample: ((cpuSeconds(ingestPid) - cpu0.ingest) * 1e6) / Math.max(1, arrived),
        cpu: {
          ingestWait: (runQueueSeconds(ingestPid) - cpu0.ingestWait) / seconds,
          ingest: (cpuSeconds(ingestPid) - cpu0.ingest) / seconds,
          mosquitto: (cpuSeconds(pidOf('mosquitto')) - cpu0.mosquitto) / seconds,
          kafka: (cpuSeconds(pidOf('kafka')) - cpu0.kafka) / seconds,
          bench: (used.user + used.system) / 1e6 / seconds,
        },
        publishersBusy: Math.max(...reports.map((report) => report.utilization)),
      };
      console.log(
        `${label} ${Math.round(rate).toLocaleString('en-US')} samples/s offered: ${step.held ? 'held' : 'NOT held'}; ` +
          `published ${Math.round(published).toLocaleString('en-US')}/s, into Kafka ${Math.round(step.intoKafka).toLocaleString('en-US')}/s, ` +
          `${arrived.toLocaleString('en-US')} of ${samples.toLocaleString('en-US')} arrived, dropped by Mosquitto ${drops}, lost by ingest ${step.lost}, ` +
          `left in its spool ${step.spooled}; ${step.perMessage.toFixed(1)} samples per Kafka message; ` +
          `CPU (1.0 = one core) ingest-mqtt ${step.cpu.ingest.toFixed(2)} = ${step.cpuUsPerSample.toFixed(1)} µs per sample (+ ${step.cpu.ingestWait.toFixed(2)} waiting for a CPU), mosquitto ${step.cpu.mosquitto.toFixed(2)}, ` +
          `kafka ${step.cpu.kafka.toFixed(2)}, bench ${step.cpu.bench.toFixed(2)}; publishers busy ≤ ${Math.round(step.publishersBusy * 100)} %`,
      );
      return step;
    };

    // Not judged: the ingest's first seconds (JIT, Kafka metadata, first batches) are not its sustained rate.
    await runStep(FIRST_RATE, 3, 'warm-up (not judged)');
    const steps: Step[] = [];
    let rate = FIRST_RATE;
    let best: Step | undefined;
    let failed: Step | undefined;
    while (steps.length < MAX_STEPS) {
      const step = await runStep(rate);
      steps.push(step);
      if (!step.held) {
        failed = step;
        break;
      }
      best = step;
      rate *= 1.5;
    }
    if (best && failed) {
      const step = await runStep((best.rate + failed.rate) / 2);
      steps.push(step);
      if (step.held) best = step;
    }

    // The drain: a backlog queued by Mosquitto for the ingest's session while it was stopped, then
    // read by a restarted ingest with no publisher running, so they take no CPU from it.
    await stopIngest(ingest as ReturnType<typeof spawn>);
    await (publishers as Publishers).run('plant1', Number.POSITIVE_INFINITY, TICKS);
    const seenBeforeDrain = seen;
    const drainStart = now();
    const drainer = await startIngest();
    let firstDrainedAt = 0;
    let cpuAtFirst = 0;
    await until(
      async () => {
        if (firstDrainedAt === 0 && seen > seenBeforeDrain) {
          firstDrainedAt = now();
          cpuAtFirst = cpuSeconds(drainer.pid ?? 0);
        }
        return seen - seenBeforeDrain >= TOTAL || now() - drainStart > 300_000;
      },
      310_000,
      'the backlog drained',
      10,
    );
    const drained = seen - seenBeforeDrain;
    const drainSeconds = (lastSeenAt - firstDrainedAt) / 1000;
    const drainRate = drained / drainSeconds;
    const drainCpuUs = ((cpuSeconds(drainer.pid ?? 0) - cpuAtFirst) * 1e6) / Math.max(1, drained);
    console.log(
      `drain: ${drained.toLocaleString('en-US')} of ${TOTAL.toLocaleString('en-US')} queued samples in ${drainSeconds.toFixed(1)} s ` +
        `(first sample in Kafka → last), ${Math.round(drainRate).toLocaleString('en-US')} samples/s; ingest CPU ` +
        `${drainCpuUs.toFixed(1)} µs per sample (from its first sample in Kafka)`,
    );
    await consumer.disconnect();

    // The baseline sends what the ingest sent at its best step: as many samples per Kafka message.
    const perMessage = best?.perMessage ?? 2;
    const window = Math.min(BATCH_SAMPLES, Math.max(TAGS, Math.round(perMessage * TAGS)));
    const bare = await baseline(kafka, profile, window);
    const bareOld = await baseline(kafka, profile, OLD_WINDOW_SAMPLES);

    const sustained = best?.intoKafka ?? 0;
    console.log('');
    figure(
      `bare kafkajs producer, same samples, ${window.toLocaleString('en-US')}-sample windows (baseline)`,
      bare.rate,
      'samples/s',
      'baseline',
    );
    figure(
      'ingest-mqtt sustained into Kafka (highest rate held, no loss)',
      sustained,
      'samples/s',
      '≥ 0.7× baseline',
    );
    figure('ratio ingest-mqtt / bare producer', sustained / bare.rate, '×', '≥ 0.7');
    figure(
      'ingest-mqtt draining a queued backlog, no publisher running',
      drained === TOTAL ? drainRate : Number.NaN,
      'samples/s',
      'information',
    );
    figure(
      'ratio drain / bare producer',
      drained === TOTAL ? drainRate / bare.rate : Number.NaN,
      '×',
      'information',
    );
    figure(
      'first rate not held (offered)',
      failed?.rate ?? Number.NaN,
      'samples/s',
      'information (the ceiling lies between)',
    );
    figure('high-load profile held (5,000 samples/s)', steps[0]?.held ? 1 : 0, '', '1');
    figure('MQTT publishers alone, flat out (QoS 1, no subscriber)', aloneRate, 'msg/s', 'information');
    figure('samples per Kafka message, ingest-mqtt at its best step', perMessage, '', 'information');
    figure('samples per Kafka message, baseline', TOTAL / bare.messages, '', 'information');
    figure(
      `bare kafkajs producer, old ${OLD_WINDOW_SAMPLES.toLocaleString('en-US')}-sample windows (${(TOTAL / bareOld.messages).toFixed(1)} per message)`,
      bareOld.rate,
      'samples/s',
      'information',
    );
    figure(
      'ratio ingest-mqtt / bare producer in the old windows',
      sustained / bareOld.rate,
      '×',
      'information',
    );
    // CPU per sample is what a loaded machine moves least: the rates above shrink with what else runs.
    figure(
      'ingest-mqtt CPU per sample at its best step',
      best?.cpuUsPerSample ?? Number.NaN,
      'µs',
      'information',
    );
    figure('bare producer CPU per sample, same windows', bare.cpuUsPerSample, 'µs', 'information');
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
