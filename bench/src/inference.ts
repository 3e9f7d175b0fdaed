import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { discoverServices, serviceArgs, serviceEnv } from '@millrace/infra';
import { createKafka, PipelineProducer } from '@millrace/kafka';
import { createLogger } from '@millrace/observability';
import { CellLine } from '@millrace/plant-sim';
import { IlpWriter, QueryClient, type Row } from '@millrace/questdb';
import {
  buildDataset,
  DEFAULT_FEATURE_CONFIG,
  labelCells,
  modelDir,
  promote,
  RiskScorer,
  saveArtifact,
  scoreCell,
  timeSplit,
  trainModel,
  FEATURE_NAMES,
  TfjsScorer,
  windowTagFilter,
  type ModelArtifact,
} from '@millrace/risk-model';
import { simulateHistory } from '@millrace/risk-model/testing';
import { TABLES, TOPICS, type Inspection, type SampleBatch, type TagPath } from '@millrace/schema';
import { msToUs, nowUs, type EpochMs, type EpochUs } from '@millrace/time';
import { benchPorts, figure, percentile, repoRoot, startBenchStack, until } from './common.js';

const HOURS = Number(process.env.BENCH_HOURS ?? 24);
const SEED = Number(process.env.BENCH_SEED ?? 3);
const SCORED = Number(process.env.BENCH_CELLS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const E2E = process.env.BENCH_E2E !== '0';
const NAME = 'inference';
// Ports of its own, so it runs beside the other benches' stacks.
const PORTS = benchPorts(29, 100);
const SERVICE_PORT = 28094;

function holdoutLine(name: string, artifact: ModelArtifact): string {
  const h = artifact.metrics.holdout;
  return `  ${name.padEnd(9)} ROC AUC ${h.rocAuc?.toFixed(3)}  PR AUC ${h.prAuc?.toFixed(3)}  Brier ${h.brier?.toFixed(4)}  precision ${h.precision?.toFixed(3)} recall ${h.recall?.toFixed(3)} at ${h.threshold.toFixed(3)}  (${artifact.training.epochs} epochs, ${(artifact.training.durationMs / 1000).toFixed(1)} s, ${artifact.training.backend})`;
}

/** Model quality and scoring in process; returns the MLP for the end-to-end part. */
async function inProcess(): Promise<ModelArtifact> {
  // ---- model quality on the simulator's data ----
  const t0 = performance.now();
  const history = simulateHistory({
    seed: SEED,
    startMs: Date.UTC(2026, 0, 5),
    hours: HOURS,
    speedDriftRpmPerHour: 0,
    setpointRangeRpm: [950, 1300],
  });
  const { cells } = labelCells(history.inspections);
  const dataset = buildDataset(DEFAULT_FEATURE_CONFIG, cells, history.series);
  const split = timeSplit(dataset, 0.2, 0.15);
  const positives = dataset.labels.reduce((sum, label) => sum + label, 0);
  console.log(
    `simulated ${HOURS} h of the battery line (seed ${SEED}, setpoint every 20 min in 950-1300 rpm): ${dataset.rows.length} labelled cells, ` +
      `${positives} failed OQC; hold-out ${split.holdout.rows.length} cells with ${split.holdout.labels.reduce((s, l) => s + l, 0)} failures ` +
      `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  const now = new Date();
  const logistic = await trainModel(split, { kind: 'logistic', featureConfig: DEFAULT_FEATURE_CONFIG, now });
  const mlp = await trainModel(split, { kind: 'mlp', featureConfig: DEFAULT_FEATURE_CONFIG, now });
  console.log('same hold-out:');
  console.log(holdoutLine('logistic', logistic));
  console.log(holdoutLine('mlp', mlp));
  console.log(
    `  reliability (mlp): ${mlp.metrics.holdout.reliability
      .filter((bin) => bin.count > 0)
      .map(
        (bin) =>
          `${bin.from.toFixed(1)}: ${bin.meanPredicted?.toFixed(3)} vs ${bin.observedRate?.toFixed(3)} (${bin.count})`,
      )
      .join(', ')}`,
  );

  // ---- scoring in process: features from series + model + reasons, as the service does per cell ----
  const scorer = new RiskScorer(mlp, 3);
  const buffer = new Float64Array(FEATURE_NAMES.length);
  for (let i = 0; i < 2_000; i += 1)
    scoreCell(scorer, DEFAULT_FEATURE_CONFIG, cells[i % cells.length]!, history.series, buffer);
  // The machine is shared: the paths are measured in interleaved rounds and each figure is its best
  // round, the one least disturbed by other load.
  const logisticScorer = new RiskScorer(logistic, 3);
  const paths = {
    mlp: (i: number) =>
      scoreCell(scorer, DEFAULT_FEATURE_CONFIG, cells[i % cells.length]!, history.series, buffer),
    logistic: (i: number) =>
      scoreCell(logisticScorer, DEFAULT_FEATURE_CONFIG, cells[i % cells.length]!, history.series, buffer),
    model: (i: number) => scorer.score(dataset.rows[i % dataset.rows.length]!),
  };
  const best = { mlp: 0, logistic: 0, model: 0 };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, work] of Object.entries(paths) as [keyof typeof paths, (i: number) => unknown][]) {
      const at = performance.now();
      for (let i = 0; i < SCORED; i += 1) work(i);
      best[name] = Math.max(best[name], SCORED / ((performance.now() - at) / 1000));
    }
  }
  const single: number[] = [];
  for (let i = 0; i < 20_000; i += 1) {
    const at = performance.now();
    paths.mlp(i);
    single.push(performance.now() - at);
  }
  // tfjs predict on the same MLP, probabilities only (no reasons), in batches of 10k: the design alternative.
  const reference = new TfjsScorer(mlp);
  const rows10k = Array.from({ length: 10_000 }, (_, i) => dataset.rows[i % dataset.rows.length]!);
  reference.probabilities(rows10k);
  let tfRate = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const at = performance.now();
    reference.probabilities(rows10k);
    tfRate = Math.max(tfRate, 10_000 / ((performance.now() - at) / 1000));
  }
  const tfSingle: number[] = [];
  for (let i = 0; i < 2_000; i += 1) {
    const at = performance.now();
    reference.probabilities([dataset.rows[i % dataset.rows.length]!]);
    tfSingle.push(performance.now() - at);
  }
  reference.dispose();
  figure('cells scored in batches (features + MLP + 3 reasons, in process)', best.mlp, 'cells/s', '≥ 50,000');
  figure('same with the logistic model', best.logistic, 'cells/s', 'info');
  figure('MLP alone (forward + occlusion reasons, features given)', best.model, 'cells/s', 'info');
  figure('tfjs predict, batches of 10k, probabilities only', tfRate, 'cells/s', 'info');
  figure('single cell p99 in process', percentile(single, 99), 'ms', '≤ 20');
  figure('tfjs predict of one row p99', percentile(tfSingle, 99), 'ms', 'info');

  return mlp;
}

async function main(): Promise<void> {
  const mlp = await inProcess();
  // Measured once the history of the first part is garbage: this process times the events, and a major
  // collection of that heap in the middle would be counted as service latency.
  if (E2E) await endToEnd(mlp);
}

/** A line's numeric signals as `plant.samples.v1` batches of up to a minute per tag, as ingest sends them. */
function sampleBatches(signals: readonly { tag: TagPath; value: unknown; tsMs: EpochMs }[]): SampleBatch[] {
  const byTag = new Map<TagPath, { ts: EpochUs[]; values: number[] }>();
  for (const signal of signals) {
    if (typeof signal.value !== 'number') continue;
    let column = byTag.get(signal.tag);
    if (!column) byTag.set(signal.tag, (column = { ts: [], values: [] }));
    column.ts.push(msToUs(signal.tsMs));
    column.values.push(signal.value);
  }
  const batches: SampleBatch[] = [];
  for (const [tag, { ts, values }] of byTag)
    for (let offset = 0; offset < ts.length; offset += 60)
      batches.push({
        tag,
        source: 'bench',
        ingestTs: nowUs(),
        ts: ts.slice(offset, offset + 60),
        values: values.slice(offset, offset + 60),
      });
  return batches;
}

/** A metric's value from /metrics; `labels` picks one series of it (every series carries `service`). */
async function metricValue(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name}{`) && entry.includes(labels));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

/**
 * Through the service: Kafka in, machine windows, Kafka out, on a stack of its own. The backlog line's
 * samples are only in QuestDB (the service reads the store, as after a restart); the single-event line's
 * also go through `plant.samples.v1` once the service runs, as a live line's do (the window cache).
 */
async function endToEnd(artifact: ModelArtifact): Promise<void> {
  const dataDir = `${repoRoot}.millrace/bench-${NAME}`;
  const stack = await startBenchStack(NAME, PORTS);
  const { addresses } = stack;
  const logger = createLogger('bench-inference', 'error');
  const kafka = createKafka({ brokers: addresses.kafkaBrokers, clientId: 'bench-inference', logger });
  const producer = new PipelineProducer(kafka, 'bench-inference');
  const consumer = kafka.consumer({ groupId: `bench-${Date.now()}` });
  const query = new QueryClient({ pgUrl: addresses.questdbPgUrl });
  try {
    const dir = modelDir(dataDir);
    await rm(dir, { recursive: true, force: true });
    await saveArtifact(dir, artifact);
    await promote(dir, artifact.version, 'bench', new Date());

    // Three lines run up to now: a 4-hour backlog on one, single events on the others, one whose samples
    // also come through Kafka (windows from the cache) and one whose samples are only in QuestDB.
    const nowMs = Date.now();
    const backlogLine = new CellLine(
      { seed: 21, line: 'benchbacklog', speedSetpointRpm: 1150, speedDriftRpmPerHour: 0 },
      nowMs - 4 * 3_600_000,
    );
    const singleLine = new CellLine(
      {
        seed: 22,
        line: 'benchsingle',
        speedSetpointRpm: 1150,
        speedDriftRpmPerHour: 0,
        firstOrderId: 50_000,
      },
      nowMs - 30 * 60_000,
    );
    const storeLine = new CellLine(
      {
        seed: 23,
        line: 'benchstore',
        speedSetpointRpm: 1150,
        speedDriftRpmPerHour: 0,
        firstOrderId: 60_000,
      },
      nowMs - 30 * 60_000,
    );
    const backlog = backlogLine.advanceTo(nowMs);
    const singles = singleLine.advanceTo(nowMs);
    const storeSingles = storeLine.advanceTo(nowMs);
    const writer = await IlpWriter.connect({ httpUrl: addresses.questdbUrl });
    for (const output of [backlog, singles, storeSingles]) {
      const rows: Row[] = output.signals
        .filter((signal) => typeof signal.value === 'number')
        .map((signal) => ({ ts: msToUs(signal.tsMs), tag: signal.tag, value: signal.value as number }));
      for (let offset = 0; offset < rows.length; offset += 50_000)
        await writer.write(TABLES.samples, rows.slice(offset, offset + 50_000));
    }
    await writer.close();
    await query.waitForWalApplied(TABLES.samples.name, 120_000);

    const received = new Map<string, number>();
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.risk.name, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const at = performance.now();
        for (const message of batch.messages) {
          const cellId = message.key?.toString('utf8');
          if (cellId && !received.has(cellId)) received.set(cellId, at);
        }
      },
    });
    await producer.connect();
    const service = discoverServices(repoRoot, () => undefined).find((entry) => entry.name === 'inference');
    if (!service) throw new Error('services/inference is not built: npx tsc -b services/inference');
    const child = spawn(process.execPath, serviceArgs(service), {
      env: {
        ...serviceEnv(addresses, dataDir, process.env),
        MILLRACE_LOG_LEVEL: 'warn',
        INFERENCE_PORT: String(SERVICE_PORT),
        // The single events are cells of the last 30 minutes, all sent now: the cache keeps that much.
        INFERENCE_WINDOW_CACHE_MS: String(45 * 60_000),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    try {
      await until(
        async () =>
          (await fetch(`http://127.0.0.1:${SERVICE_PORT}/readyz`).catch(() => undefined))?.ok === true,
        60_000,
        'inference ready',
      );

      // The live line's samples through Kafka, once the service follows them: its feed starts at the
      // end of the topic, which it fixes at its first fetch, so one batch is repeated until it is seen.
      const feedBatches = sampleBatches(singles.signals);
      const metricsUrl = `http://127.0.0.1:${SERVICE_PORT}/metrics`;
      const wanted = windowTagFilter(DEFAULT_FEATURE_CONFIG);
      const probe = feedBatches.find((batch) => wanted(batch.tag))!;
      await until(
        async () => {
          await producer.send(TOPICS.samples, [{ key: probe.tag, value: probe }]);
          return (await metricValue(metricsUrl, 'millrace_inference_window_feed_batches_total')) > 0;
        },
        60_000,
        'the window cache following plant.samples.v1',
        500,
      );
      const seen = await metricValue(metricsUrl, 'millrace_inference_window_feed_batches_total');
      for (let offset = 0; offset < feedBatches.length; offset += 500)
        await producer.send(
          TOPICS.samples,
          feedBatches.slice(offset, offset + 500).map((batch) => ({ key: batch.tag, value: batch })),
        );
      const fed = seen + feedBatches.filter((batch) => wanted(batch.tag)).length;
      await until(
        async () => (await metricValue(metricsUrl, 'millrace_inference_window_feed_batches_total')) >= fed,
        60_000,
        'the window cache fed',
      );

      const scoredOf = (inspections: Inspection[]) =>
        inspections
          .filter((inspection) => inspection.stage === 'FQC' && inspection.verdict === 'pass')
          .map((inspection) => inspection.cellId);
      const backlogCells = scoredOf(backlog.inspections);
      const messages = backlog.inspections
        .filter((inspection) => inspection.stage !== 'OQC')
        .map((inspection) => ({ key: inspection.cellId, value: inspection }));
      const started = performance.now();
      for (let offset = 0; offset < messages.length; offset += 1_000)
        await producer.send(TOPICS.inspections, messages.slice(offset, offset + 1_000));
      await until(
        async () => backlogCells.every((cellId) => received.has(cellId)),
        300_000,
        'the backlog scored',
        20,
      );
      const drained = Math.max(...backlogCells.map((cellId) => received.get(cellId)!));
      figure(
        `backlog through the service (${backlogCells.length} cells, Kafka + QuestDB windows + Kafka)`,
        backlogCells.length / ((drained - started) / 1000),
        'cells/s',
        'info',
      );

      // Single events: every IPQC first, then one FQC at a time, each waiting for its risk event; the
      // two lines alternate, so both paths are timed under the same load.
      const singleFqcs = (inspections: Inspection[]) =>
        inspections
          .filter((inspection) => inspection.stage === 'FQC' && inspection.verdict === 'pass')
          .slice(0, 300);
      await producer.send(
        TOPICS.inspections,
        [...singles.inspections, ...storeSingles.inspections]
          .filter((inspection) => inspection.stage === 'IPQC')
          .map((inspection) => ({ key: inspection.cellId, value: inspection })),
      );
      const latencies = { cache: [] as number[], store: [] as number[] };
      const fromCache = singleFqcs(singles.inspections);
      const fromStore = singleFqcs(storeSingles.inspections);
      for (let i = 0; i < Math.max(fromCache.length, fromStore.length); i += 1) {
        for (const [path, fqc] of [
          ['cache', fromCache[i]],
          ['store', fromStore[i]],
        ] as const) {
          if (!fqc) continue;
          const at = performance.now();
          await producer.send(TOPICS.inspections, [{ key: fqc.cellId, value: fqc }]);
          await until(async () => received.has(fqc.cellId), 10_000, `risk event of ${fqc.cellId}`, 1);
          latencies[path].push(received.get(fqc.cellId)! - at);
        }
      }
      figure(
        `single event p99 through the service (${latencies.cache.length} FQC → risk event, acks=all both ways, windows from memory)`,
        percentile(latencies.cache, 99),
        'ms',
        '≤ 20',
      );
      figure('single event p50 through the service', percentile(latencies.cache, 50), 'ms', 'info');
      figure(
        'same run, a line whose windows are read from QuestDB: p99',
        percentile(latencies.store, 99),
        'ms',
        'info',
      );
      figure('same run, windows from QuestDB: p50', percentile(latencies.store, 50), 'ms', 'info');
      console.log(
        `  windows: ${await metricValue(metricsUrl, 'millrace_inference_windows_total', 'source="cache"')} cells from the cache, ` +
          `${await metricValue(metricsUrl, 'millrace_inference_windows_total', 'source="store"')} from QuestDB`,
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await query.end();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
