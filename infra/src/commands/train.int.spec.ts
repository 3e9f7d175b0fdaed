import { randomInt, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IlpWriter, QueryClient, type Row } from '@millrace/questdb';
import { featureTags, DEFAULT_FEATURE_CONFIG, loadArtifact, readCurrent } from '@millrace/risk-model';
import { seededRandom, simulateHistory } from '@millrace/risk-model/testing';
import { inspectionRow } from '@millrace/rows';
import { TABLES } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { trainCommand } from './train.js';

const HOUR_MS = 3_600_000;
const HOURS = 4;

describe('millrace train against the real QuestDB', () => {
  const stack = inject('stack');
  const line = `train${randomUUID().slice(0, 8)}`;
  // A random day of 2020: no live data there, and another run of this test is unlikely to share it.
  const startMs = Date.UTC(2020, 0, 1) + randomInt(0, 360) * 24 * HOUR_MS;
  const from = new Date(startMs).toISOString();
  const to = new Date(startMs + HOURS * HOUR_MS).toISOString();
  let modelDir: string;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    const history = simulateHistory({
      // A setpoint schedule that leaves failing cells in every part of the time split.
      seed: 21,
      startMs,
      hours: HOURS,
      line,
      speedDriftRpmPerHour: 0,
      setpointRangeRpm: [950, 1300],
    });
    const writer = await IlpWriter.connect({ httpUrl: stack.questdbUrl });
    await writer.write(TABLES.inspections, history.inspections.map(inspectionRow));
    for (const tag of featureTags(DEFAULT_FEATURE_CONFIG, line)) {
      const { ts, values } = history.series.samples(tag);
      const rows: Row[] = ts.map((at, index) => ({ ts: epochUs(at), tag, value: values[index]! }));
      await writer.write(TABLES.samples, rows);
    }
    await writer.close();
    const client = new QueryClient({ pgUrl: stack.questdbPgUrl });
    await client.waitForWalApplied(TABLES.inspections.name, 60_000);
    await client.waitForWalApplied(TABLES.samples.name, 60_000);
    await client.end();
    modelDir = await mkdtemp(join(tmpdir(), 'millrace-train-'));
    // `millrace train` takes the stack's addresses from the environment, as on the command line.
    for (const [key, value] of Object.entries({
      MILLRACE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MILLRACE_QUESTDB_URL: stack.questdbUrl,
      MILLRACE_QUESTDB_PG_URL: stack.questdbPgUrl,
    })) {
      saved.set(key, process.env[key]);
      process.env[key] = value;
    }
  }, 60_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    vi.useRealTimers();
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await rm(modelDir, { recursive: true, force: true });
  });

  /** One `millrace train` run at a given clock time (it names the version), with its printed lines. */
  async function train(atMs: number): Promise<{ code: number; printed: string }> {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(atMs);
    vi.spyOn(Math, 'random').mockImplementation(seededRandom(7));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const args = [
        '--from',
        from,
        '--to',
        to,
        '--kind',
        'logistic',
        '--max-epochs',
        '10',
        '--holdout',
        '0.3',
      ];
      const code = await trainCommand.run([...args, '--model-dir', modelDir]);
      return { code, printed: log.mock.calls.map((call) => call.join(' ')).join('\n') };
    } finally {
      vi.restoreAllMocks();
      vi.useRealTimers();
    }
  }

  it('writes a versioned artifact with metrics and data range, promotes it first, then not an equal one', async () => {
    const first = await train(Date.UTC(2026, 10, 22, 12, 0, 0));
    expect(first.code).toBe(0);
    expect(first.printed).toContain(`train on QuestDB history ${from.slice(0, 19)}`);
    const current = await readCurrent(modelDir);
    expect(current?.version).toBe('risk-20261122T120000Z-logistic');
    expect(first.printed).toContain(`promoted ${current!.version}: no current model`);

    const artifact = await loadArtifact(modelDir, current!.version);
    const { holdout } = artifact.metrics;
    expect(holdout.cells).toBe(artifact.dataRange.holdoutCells);
    expect(holdout.positives).toBeGreaterThan(0);
    expect(holdout.rocAuc).toBeGreaterThan(0.7);
    expect(holdout.prAuc).toBeGreaterThan(holdout.positives / holdout.cells);
    expect(holdout.brier).toBeGreaterThan(0);
    expect(artifact.dataRange.trainCells).toBeGreaterThan(1_000);
    expect(Date.parse(artifact.dataRange.from)).toBeGreaterThanOrEqual(startMs);
    // A cell assembled just before `--to` is dated by its FQC, 20 s later.
    expect(Date.parse(artifact.dataRange.to)).toBeLessThanOrEqual(startMs + HOURS * HOUR_MS + 60_000);
    expect(Date.parse(artifact.dataRange.holdoutFrom)).toBeGreaterThan(Date.parse(artifact.dataRange.from));

    // The same data and the same shuffles give an equal model: written, but it does not replace the current one.
    const second = await train(Date.UTC(2026, 10, 22, 13, 0, 0));
    expect(second.code).toBe(0);
    expect(await readdir(modelDir)).toContain('risk-20261122T130000Z-logistic');
    const equal = await loadArtifact(modelDir, 'risk-20261122T130000Z-logistic');
    expect(equal.metrics.holdout.prAuc).toBe(holdout.prAuc);
    expect(second.printed).toContain('not promoted');
    expect((await readCurrent(modelDir))?.version).toBe(current!.version);
  }, 60_000);
});
