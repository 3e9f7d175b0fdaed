import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferenceConfigSchema } from '@millrace/config';
import { createKafka, ensureTopics, PipelineProducer } from '@millrace/kafka';
import { uniqueTopic, waitFor } from '@millrace/kafka/testing';
import { createLogger, Observability } from '@millrace/observability';
import { CellLine } from '@millrace/plant-sim';
import { IlpWriter, QueryClient, type Row } from '@millrace/questdb';
import {
  buildDataset,
  DEFAULT_FEATURE_CONFIG,
  FEATURE_NAMES,
  labelCells,
  promote,
  saveArtifact,
  timeSplit,
  trainModel,
  windowTagFilter,
  type ModelArtifact,
} from '@millrace/risk-model';
import { simulateHistory } from '@millrace/risk-model/testing';
import {
  deadLetterTopicOf,
  machineCommandSchema,
  riskEventSchema,
  TABLES,
  TOPICS,
  type Inspection,
  type MachineCommand,
  type RiskEvent,
  type TagPath,
} from '@millrace/schema';
import { epochUs, msToUs, epochMs, type EpochUs } from '@millrace/time';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RiskInference } from './inference.js';

const logger = createLogger('inference-test', 'silent');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** Reads a topic from the beginning into an array; a rebalance's re-reads are skipped by offset. */
async function collect<T>(kafka: Kafka, topic: string, parse: (value: unknown) => T): Promise<T[]> {
  const received: T[] = [];
  const seen = new Set<string>();
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (seen.has(`${partition}:${message.offset}`)) return;
      seen.add(`${partition}:${message.offset}`);
      received.push(parse(JSON.parse(message.value?.toString('utf8') ?? 'null')));
    },
  });
  cleanups.push(() => consumer.disconnect());
  return received;
}

async function metric(observability: Observability, name: string, labels: string): Promise<number> {
  const text = await observability.metrics.metrics();
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('inference against the real Kafka and QuestDB', () => {
  const stack = inject('stack');
  const label = randomUUID().slice(0, 8);
  const line = `it${label}`;
  const topics = {
    inspections: uniqueTopic(TOPICS.inspections, 'inference'),
    samples: uniqueTopic(TOPICS.samples, 'inference'),
    risk: uniqueTopic(TOPICS.risk, 'inference'),
    commands: uniqueTopic(TOPICS.commands, 'inference'),
  };
  let kafka: Kafka;
  let producer: PipelineProducer;
  let modelDir: string;
  let artifact: ModelArtifact;

  beforeAll(async () => {
    kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'inference-test', logger });
    await ensureTopics(kafka, [
      ...Object.values(topics),
      ...Object.values(topics).map((spec) => deadLetterTopicOf(spec)),
    ]);
    producer = new PipelineProducer(kafka, 'inference-test');
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    modelDir = await mkdtemp(join(tmpdir(), 'millrace-inference-'));
    cleanups.push(() => rm(modelDir, { recursive: true, force: true }));
    // A small model from simulated history: what `millrace train` does, minus QuestDB.
    const history = simulateHistory({
      seed: 11,
      startMs: Date.UTC(2026, 0, 5),
      hours: 8,
      speedDriftRpmPerHour: 0,
      setpointRangeRpm: [950, 1300],
    });
    const { cells } = labelCells(history.inspections);
    const dataset = buildDataset(DEFAULT_FEATURE_CONFIG, cells, history.series);
    artifact = await trainModel(timeSplit(dataset, 0.2, 0.15), {
      kind: 'mlp',
      featureConfig: DEFAULT_FEATURE_CONFIG,
      now: new Date(),
      maxEpochs: 15,
    });
  }, 120_000);

  it('cold-starts scoring nothing, picks up a promoted model, emits risk events with reasons and a bounded command', async () => {
    // The line runs fast (1300 rpm) for six minutes up to now; its machine signals go into QuestDB samples.
    const nowMs = Date.now();
    const cellLine = new CellLine(
      { seed: 5, line, speedSetpointRpm: 1300, speedDriftRpmPerHour: 0 },
      nowMs - 6 * 60_000,
    );
    const output = cellLine.advanceTo(nowMs);
    const rows: Row[] = output.signals
      .filter((signal) => typeof signal.value === 'number')
      .map((signal) => ({ ts: msToUs(signal.tsMs), tag: signal.tag, value: signal.value as number }));
    const writer = await IlpWriter.connect({ httpUrl: stack.questdbUrl });
    await writer.write(TABLES.samples, rows);
    await writer.close();
    const client = new QueryClient({ pgUrl: stack.questdbPgUrl });
    await client.waitForWalApplied(TABLES.samples.name);
    await client.end();

    // Bad input beside the good: a missing FQC measurement, an IPQC weight out of physical range, an FQC without IPQC.
    const recentUs = msToUs(epochMs(nowMs - 60_000));
    const base = { orderId: 'bad', line, verdict: 'pass' as const };
    const good = { weightG: 70, thicknessMm: 5.6, weldStrengthN: 42, insulationResistanceMOhm: 800 };
    const bad: Inspection[] = [
      { ...base, cellId: 'bad-missing', stage: 'IPQC', ts: recentUs, measurements: good },
      {
        ...base,
        cellId: 'bad-missing',
        stage: 'FQC',
        ts: epochUs(recentUs + 20e6),
        measurements: { ocvV: 3.6, capacityAh: 5 },
      },
      { ...base, cellId: 'bad-range', stage: 'IPQC', ts: recentUs, measurements: { ...good, weightG: 1e6 } },
      {
        ...base,
        cellId: 'bad-range',
        stage: 'FQC',
        ts: epochUs(recentUs + 20e6),
        measurements: { ocvV: 3.6, acirMOhm: 18, capacityAh: 5 },
      },
      {
        ...base,
        cellId: 'bad-orphan',
        stage: 'FQC',
        ts: epochUs(recentUs + 20e6),
        measurements: { ocvV: 3.6, acirMOhm: 18, capacityAh: 5 },
      },
    ];
    const inspections = [...output.inspections, ...bad];
    const expectedCells = new Set(
      inspections
        .filter((inspection) => inspection.stage === 'FQC' && inspection.verdict !== 'fail')
        .map((inspection) => inspection.cellId),
    );
    expect(expectedCells.size).toBeGreaterThan(40);

    const config = inferenceConfigSchema.parse({
      MILLRACE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MILLRACE_QUESTDB_URL: stack.questdbUrl,
      MILLRACE_QUESTDB_PG_URL: stack.questdbPgUrl,
      MILLRACE_LOG_LEVEL: 'silent',
      INFERENCE_GROUP_ID: `inference-test-${label}`,
      INFERENCE_MODEL_DIR: modelDir,
      INFERENCE_MODEL_POLL_MS: '200',
      INFERENCE_TOP_REASONS: '16',
      INFERENCE_RULES_MAX_AGE_MS: '600000',
      INFERENCE_RULES: JSON.stringify([
        {
          id: 'it-speed-down',
          features: ['cas_speed_mean_rpm', 'cas_speed_max_rpm', 'cas_vibration_mean', 'cas_vibration_max'],
          windowCells: 20,
          minCells: 10,
          minHighShare: 0.2,
          minFeatureShare: 0.5,
          action: {
            machine: 'CAS_01',
            setpoint: 'speed_setpoint',
            unit: 'rpm',
            step: -50,
            min: 1000,
            max: 1400,
            maxStep: 30,
            cooldownMs: 600_000,
          },
        },
      ]),
    });
    const observability = new Observability('inference', { logLevel: 'silent', defaultMetrics: false });
    const inference = new RiskInference(config, observability, topics);
    await inference.start();
    cleanups.push(() => inference.stop());
    const events = await collect<RiskEvent>(kafka, topics.risk.name, (value) => riskEventSchema.parse(value));
    const commands = await collect<MachineCommand>(kafka, topics.commands.name, (value) =>
      machineCommandSchema.parse(value),
    );

    // Cold start: not ready, says why, holds the inspections and scores nothing.
    const cold = await observability.health.readiness();
    expect(cold.ready).toBe(false);
    expect(String(cold.checks.model)).toContain('no promoted model');
    await producer.send(
      topics.inspections,
      inspections.map((inspection) => ({ key: inspection.cellId, value: inspection })),
    );
    await waitFor(
      async () => (await metric(observability, 'millrace_inference_batches_waiting_for_model_total', '')) > 0,
      60_000,
      'a batch held for want of a model',
    );
    expect(events).toEqual([]);

    // Promotion is picked up without a restart, and the held backlog is scored.
    await saveArtifact(modelDir, artifact);
    await promote(modelDir, artifact.version, 'integration test', new Date());
    await waitFor(
      () => new Set(events.map((event) => event.cellId)).size >= expectedCells.size,
      60_000,
      'a risk event per cell',
    );
    expect((await observability.health.readiness()).checks.model).toBe(true);
    expect(new Set(events.map((event) => event.cellId))).toEqual(expectedCells);
    expect(events.every((event) => event.modelVersion === artifact.version)).toBe(true);

    const scored = events.filter((event) => event.riskClass !== 'unknown');
    expect(scored.length).toBe(expectedCells.size - 3);
    for (const event of scored) {
      expect(event.probability).toBeGreaterThanOrEqual(0);
      expect(event.reasons.length).toBe(16);
      expect(FEATURE_NAMES).toContain(event.reasons[0]!.feature);
      expect(event.recommendation).toBe(
        event.riskClass === 'high' ? 'short-term testing recommended' : 'safe for all usage',
      );
    }
    expect(scored.filter((event) => event.riskClass === 'high').length).toBeGreaterThan(scored.length * 0.2);

    const unknown = new Map(
      events.filter((event) => event.riskClass === 'unknown').map((event) => [event.cellId, event]),
    );
    expect(unknown.get('bad-missing')).toMatchObject({
      probability: null,
      reasons: [],
      unknownReason: 'missing FQC acirMOhm',
    });
    expect(unknown.get('bad-range')?.unknownReason).toContain(
      'ipqc_weight_g = 1000000 g outside the physical range',
    );
    expect(unknown.get('bad-orphan')?.unknownReason).toContain('no IPQC record');
    expect(
      await metric(observability, 'millrace_inference_unknown_total', 'reason="missing_measurement"'),
    ).toBe(1);
    expect(await metric(observability, 'millrace_inference_unknown_total', 'reason="out_of_range"')).toBe(1);
    expect(await metric(observability, 'millrace_inference_unknown_total', 'reason="no_ipqc"')).toBe(1);

    // High risk blamed on speed: one bounded step down from the stored setpoint (1300 -> 1270, max step 30).
    await waitFor(() => commands.length >= 1, 30_000, 'a corrective command');
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({
      machine: 'CAS_01',
      setpoint: 'speed_setpoint',
      value: 1270,
      unit: 'rpm',
      issuedBy: { kind: 'rule', id: 'it-speed-down' },
      modelVersion: artifact.version,
      dryRun: false,
    });
    expect(commands[0]!.reason).toContain('rule it-speed-down');
  });

  it('scores a live line from the window cache fed by plant.samples.v1, with no sample in QuestDB', async () => {
    const liveLine = `${line}live`;
    await saveArtifact(modelDir, artifact);
    await promote(modelDir, artifact.version, 'integration test', new Date());
    const config = inferenceConfigSchema.parse({
      MILLRACE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MILLRACE_QUESTDB_URL: stack.questdbUrl,
      MILLRACE_QUESTDB_PG_URL: stack.questdbPgUrl,
      MILLRACE_LOG_LEVEL: 'silent',
      INFERENCE_GROUP_ID: `inference-test-live-${label}`,
      INFERENCE_MODEL_DIR: modelDir,
      INFERENCE_RULES_ENABLED: 'false',
    });
    const observability = new Observability('inference', { logLevel: 'silent', defaultMetrics: false });
    const inference = new RiskInference(config, observability, topics);
    await inference.start();
    cleanups.push(() => inference.stop());
    const events = await collect<RiskEvent>(kafka, topics.risk.name, (value) => riskEventSchema.parse(value));

    const nowMs = Date.now();
    const startMs = nowMs - 3 * 60_000;
    const output = new CellLine({ seed: 9, line: liveLine, speedDriftRpmPerHour: 0 }, startMs).advanceTo(
      nowMs,
    );
    // Ten-second batches per tag, in order, as ingest publishes them; keyed by tag.
    const batches: {
      key: string;
      value: { tag: TagPath; source: string; ingestTs: EpochUs; ts: EpochUs[]; values: number[] };
    }[] = [];
    const open = new Map<string, (typeof batches)[number]>();
    for (const { tag, value, tsMs } of output.signals) {
      if (typeof value !== 'number') continue;
      let batch = open.get(tag);
      if (!batch || batch.value.ts.length === 10) {
        batch = {
          key: tag,
          value: { tag, source: 'test', ingestTs: msToUs(epochMs(nowMs)), ts: [], values: [] },
        };
        open.set(tag, batch);
        batches.push(batch);
      }
      batch.value.ts.push(msToUs(tsMs));
      batch.value.values.push(value);
    }
    // The feed starts at the end of the topic when it first fetches: a first batch of a feature tag is
    // repeated until seen.
    const wanted = windowTagFilter(DEFAULT_FEATURE_CONFIG);
    const probe = batches.find((batch) => wanted(batch.key))!;
    await waitFor(
      async () => {
        await producer.send(topics.samples, [probe]);
        return (await metric(observability, 'millrace_inference_window_feed_batches_total', '')) > 0;
      },
      30_000,
      'the window feed following the samples topic',
    );
    // The line's samples are in the cache before its inspections arrive, as a live line's machine data
    // precedes its FQC records: a cell whose tags the feed has not seen yet is (rightly) read from QuestDB.
    const fedBefore = await metric(observability, 'millrace_inference_window_feed_batches_total', '');
    await producer.send(topics.samples, batches);
    const fed = batches.filter((batch) => wanted(batch.key)).length;
    await waitFor(
      async () =>
        (await metric(observability, 'millrace_inference_window_feed_batches_total', '')) >= fedBefore + fed,
      30_000,
      'the window feed taking in the line',
    );
    await producer.send(
      topics.inspections,
      output.inspections.map((inspection) => ({ key: inspection.cellId, value: inspection })),
    );
    const expected = new Set(
      output.inspections
        .filter((inspection) => inspection.stage === 'FQC' && inspection.verdict !== 'fail')
        .map((inspection) => inspection.cellId),
    );
    expect(expected.size).toBeGreaterThan(20);
    const live = () => events.filter((event) => expected.has(event.cellId));
    await waitFor(
      () => new Set(live().map((event) => event.cellId)).size >= expected.size,
      60_000,
      'live risk events',
    );
    // Every window came from memory: nothing of this line is in QuestDB, yet every cell is scored. (The
    // first test's cells, read again by this new group, are the ones taken from the store.)
    expect(live().filter((event) => event.riskClass === 'unknown')).toEqual([]);
    // The first test's service follows the same topics and scores these cells too, so the events above
    // may all be its own: wait for this service's count before comparing it.
    const fromCache = () => metric(observability, 'millrace_inference_windows_total', 'source="cache"');
    await waitFor(async () => (await fromCache()) >= expected.size, 30_000, 'this service scoring the line');
    expect(await fromCache()).toBe(expected.size);
  });
});
