import { epochUs, usToIso } from '@millrace/time';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelArtifact } from './artifact.js';
import { datasetFromCsv, datasetToCsv, timeSplit, type Dataset } from './dataset.js';
import { DEFAULT_FEATURE_CONFIG, FEATURE_NAMES } from './features.js';
import { decidePromotion, loadCurrentArtifact, promote, readCurrent, saveArtifact } from './model-store.js';
import { RiskScorer, sigmoid } from './scorer.js';
import { evaluateArtifact, fitPlatt, initTfBackend, TfjsScorer, trainModel } from './train.js';

/** Seeded synthetic cells: risk is an interaction of two features plus one additive feature. */
function synthetic(n: number, seed: number): Dataset {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return (state + 0.5) / 4_294_967_296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const width = FEATURE_NAMES.length;
  const rows: Float64Array[] = [];
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r += 1) {
    const row = Float64Array.from({ length: width }, () => 10 + 2 * normal());
    // Same-signed deviations of features 7 and 9 raise the risk: invisible to a linear model.
    const interaction = ((row[7]! - 10) * (row[9]! - 10)) / 4;
    labels[r] = uniform() < sigmoid(-2.5 + 1.5 * interaction + 0.6 * (row[5]! - 10)) ? 1 : 0;
    rows.push(row);
  }
  return {
    rows,
    labels,
    ts: rows.map((_, i) => epochUs(1_767_000_000_000_000 + i * 3_000_000)),
    cellIds: rows.map((_, i) => `c-${i}`),
    skipped: new Map(),
  };
}

const now = new Date('2026-11-22T12:00:00Z');
let logistic: ModelArtifact;
let mlp: ModelArtifact;
const data = synthetic(4000, 42);
const split = timeSplit(data, 0.25, 0.2);

beforeAll(async () => {
  await initTfBackend('cpu');
  logistic = await trainModel(split, {
    kind: 'logistic',
    featureConfig: DEFAULT_FEATURE_CONFIG,
    now,
    maxEpochs: 30,
  });
  mlp = await trainModel(split, {
    kind: 'mlp',
    featureConfig: DEFAULT_FEATURE_CONFIG,
    now,
    maxEpochs: 120,
    patience: 20,
  });
}, 120_000);

describe('trainModel', () => {
  it('learns the signal: both models rank far above chance, the MLP catches the interaction better', () => {
    const positiveRate = mlp.metrics.holdout.positives / mlp.metrics.holdout.cells;
    expect(logistic.metrics.holdout.rocAuc).toBeGreaterThan(0.6);
    expect(mlp.metrics.holdout.rocAuc).toBeGreaterThan(0.75);
    expect(mlp.metrics.holdout.prAuc!).toBeGreaterThan(positiveRate * 2);
    expect(mlp.metrics.holdout.rocAuc!).toBeGreaterThan(logistic.metrics.holdout.rocAuc! + 0.03);
  });

  it('is calibrated despite the class weighting: hold-out mean probability near the observed rate', () => {
    const scorer = new RiskScorer(mlp);
    const probabilities = split.holdout.rows.map((row) => scorer.probability(row));
    const mean = probabilities.reduce((sum, p) => sum + p, 0) / probabilities.length;
    const observed =
      split.holdout.labels.reduce((sum, label) => sum + label, 0) / split.holdout.labels.length;
    expect(Math.abs(mean - observed)).toBeLessThan(0.05);
    expect(mlp.metrics.holdout.brier!).toBeLessThan(observed * (1 - observed));
  });

  it('records the data range, versions by time and kind, and keeps the feature list', () => {
    expect(mlp.version).toBe('risk-20261122T120000Z-mlp');
    expect(mlp.features).toEqual(FEATURE_NAMES);
    expect(mlp.dataRange.holdoutCells).toBe(1000);
    expect(mlp.dataRange.holdoutFrom).toBe(usToIso(data.ts[3000]!));
  });
});

describe('RiskScorer', () => {
  it('matches tfjs predict on the exported weights to 1e-5', () => {
    const rows = split.holdout.rows.slice(0, 50);
    const reference = new TfjsScorer(mlp);
    const expected = reference.probabilities(rows);
    reference.dispose();
    const scorer = new RiskScorer(mlp);
    rows.forEach((row, index) => expect(scorer.probability(row)).toBeCloseTo(expected[index]!, 5));
  });

  it('gives the logistic model exact contributions a * w_i * z_i, largest first', () => {
    const scorer = new RiskScorer(logistic, FEATURE_NAMES.length);
    const row = split.holdout.rows[0]!;
    const { reasons } = scorer.score(row);
    const layer = logistic.layers[0]!;
    for (const reason of reasons) {
      const i = FEATURE_NAMES.indexOf(reason.feature);
      const zi = (row[i]! - logistic.normalisation.mean[i]!) / logistic.normalisation.std[i]!;
      expect(reason.contribution).toBeCloseTo(logistic.calibration.a * layer.weights[i]! * zi, 9);
      expect(reason.value).toBe(row[i]);
    }
    const sizes = reasons.map((reason) => Math.abs(reason.contribution));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });

  it('gives the MLP occlusion contributions: the log-odds change with that feature at its training mean', () => {
    const scorer = new RiskScorer(mlp, FEATURE_NAMES.length - 1);
    const logOdds = (p: number) => Math.log(p / (1 - p));
    for (const row of split.holdout.rows.slice(0, 20)) {
      const full = logOdds(scorer.probability(row));
      const { reasons } = scorer.score(row);
      for (const reason of reasons) {
        const i = FEATURE_NAMES.indexOf(reason.feature);
        const occluded = Float64Array.from(row);
        occluded[i] = mlp.normalisation.mean[i]!;
        expect(reason.contribution).toBeCloseTo(full - logOdds(scorer.probability(occluded)), 9);
      }
    }
  });

  it('refuses an artifact trained on other features', () => {
    expect(() => new RiskScorer({ ...mlp, features: ['x', ...FEATURE_NAMES.slice(1)] })).toThrow(
      /trained on features/,
    );
  });
});

describe('fitPlatt', () => {
  it('recovers a known scaling', () => {
    const logits = Array.from({ length: 4000 }, (_, i) => -4 + (8 * i) / 4000);
    const labels = logits.map((u, i) => (((i * 7919) % 1000) / 1000 < sigmoid(2 * u - 1) ? 1 : 0));
    const { a, b } = fitPlatt(logits, labels);
    expect(a).toBeCloseTo(2, 0);
    expect(b).toBeCloseTo(-1, 0);
  });
});

describe('model store and promotion', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'risk-model-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('starts cold, then serves what was promoted', async () => {
    expect(await readCurrent(dir)).toBeUndefined();
    await saveArtifact(dir, mlp);
    await promote(dir, mlp.version, 'test', now);
    expect((await loadCurrentArtifact(dir))?.version).toBe(mlp.version);
  });

  it('promotes only a better PR AUC on the same hold-out', () => {
    const current = evaluateArtifact(logistic, split.holdout);
    const better = decidePromotion(mlp.metrics.holdout, current);
    expect(better.promote).toBe(mlp.metrics.holdout.prAuc! > current.prAuc!);
    expect(decidePromotion(current, mlp.metrics.holdout).promote).toBe(!better.promote);
    expect(decidePromotion(current, current).promote).toBe(false);
    expect(decidePromotion(current, undefined)).toMatchObject({
      promote: true,
      reason: expect.stringContaining('above chance'),
    });
    const chance = current.positives / current.cells;
    expect(decidePromotion({ ...current, prAuc: chance }, undefined).promote).toBe(false);
  });
});

describe('feature-table CSV', () => {
  it('round-trips and restores time order', () => {
    const small: Dataset = {
      ...data,
      rows: data.rows.slice(0, 3),
      labels: data.labels.slice(0, 3),
      ts: data.ts.slice(0, 3),
      cellIds: data.cellIds.slice(0, 3),
    };
    const [header, ...lines] = datasetToCsv(small).trim().split('\n');
    const parsed = datasetFromCsv([header, ...lines.reverse()].join('\n'));
    expect(parsed.cellIds).toEqual(small.cellIds);
    expect(parsed.rows).toEqual(small.rows);
    expect(Array.from(parsed.labels)).toEqual(Array.from(small.labels));
  });

  it('refuses a header with other features', () => {
    expect(() => datasetFromCsv('cell_id,ts,x,label\n')).toThrow(/CSV header must be/);
  });
});
