import * as tf from '@tensorflow/tfjs';
import { usToIso } from '@millrace/time';
import { modelArtifactSchema, type DenseLayer, type ModelArtifact, type ModelKind } from './artifact.js';
import type { Dataset, Split } from './dataset.js';
import { RiskModelError } from './errors.js';
import { FEATURE_NAMES, type FeatureConfig } from './features.js';
import { bestF1Threshold, evaluate, type Evaluation } from './metrics.js';
import { RiskScorer } from './scorer.js';

export interface TrainOptions {
  kind: ModelKind;
  featureConfig: FeatureConfig;
  /** Names the version and `createdAt`; passed in so training is reproducible in tests. */
  now: Date;
  maxEpochs?: number;
  /** Stop after this many epochs without a better validation log-loss, keeping the best weights. */
  patience?: number;
  /** Hidden layer sizes of the MLP. */
  hidden?: readonly number[];
  batchSize?: number;
  learningRate?: number;
  /** L2 penalty on the weights. */
  l2?: number;
  seed?: number;
  onEpoch?: (epoch: number, maxEpochs: number, validationLogLoss: number) => void;
}

let backendName: string | undefined;

/**
 * Picks the fastest TensorFlow.js backend that loads: wasm (about 1.4x the pure-JS cpu backend on this
 * machine), else cpu. tfjs-node, the native one, does not install here.
 */
export async function initTfBackend(preferred: 'wasm' | 'cpu' = 'wasm'): Promise<string> {
  if (backendName) return backendName;
  if (preferred === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        backendName = 'wasm';
        return backendName;
      }
    } catch {
      // The wasm binary did not load (e.g. a bundler moved it); the cpu backend always works.
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  backendName = 'cpu';
  return backendName;
}

function normalisation(train: Dataset): { mean: number[]; std: number[] } {
  const n = train.rows.length;
  const width = FEATURE_NAMES.length;
  const mean = new Array<number>(width).fill(0);
  const std = new Array<number>(width).fill(0);
  for (const row of train.rows) for (let i = 0; i < width; i += 1) mean[i]! += row[i]! / n;
  for (const row of train.rows) for (let i = 0; i < width; i += 1) std[i]! += (row[i]! - mean[i]!) ** 2 / n;
  // A constant feature gets std 1: it then contributes nothing, instead of dividing by zero.
  return { mean, std: std.map((variance) => (variance > 1e-18 ? Math.sqrt(variance) : 1)) };
}

function normalisedTensor(dataset: Dataset, norm: { mean: number[]; std: number[] }): tf.Tensor2D {
  const width = FEATURE_NAMES.length;
  const flat = new Float32Array(dataset.rows.length * width);
  dataset.rows.forEach((row, r) => {
    for (let i = 0; i < width; i += 1) flat[r * width + i] = (row[i]! - norm.mean[i]!) / norm.std[i]!;
  });
  return tf.tensor2d(flat, [dataset.rows.length, width]);
}

function buildNetwork(options: TrainOptions, inputs: number): tf.Sequential {
  const seed = options.seed ?? 1;
  const regularizer = tf.regularizers.l2({ l2: options.l2 ?? 1e-4 });
  const model = tf.sequential();
  const hidden = options.kind === 'mlp' ? (options.hidden ?? [16, 8]) : [];
  hidden.forEach((units, index) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed + index }),
        kernelRegularizer: regularizer,
        ...(index === 0 ? { inputShape: [inputs] } : {}),
      }),
    );
  });
  model.add(
    tf.layers.dense({
      units: 1,
      activation: 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 100 }),
      kernelRegularizer: regularizer,
      ...(hidden.length === 0 ? { inputShape: [inputs] } : {}),
    }),
  );
  // The sigmoid is its own layer so every dense layer exports as it is, the last one giving log-odds.
  model.add(tf.layers.activation({ activation: 'sigmoid' }));
  model.compile({ optimizer: tf.train.adam(options.learningRate ?? 0.005), loss: 'binaryCrossentropy' });
  return model;
}

function exportLayers(model: tf.Sequential): DenseLayer[] {
  const layers: DenseLayer[] = [];
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length !== 2) continue; // the sigmoid activation layer
    const [kernel, bias] = weights as [tf.Tensor, tf.Tensor];
    const [inputs, units] = kernel.shape as [number, number];
    const config = layer.getConfig() as { activation?: string };
    layers.push({
      inputs,
      units,
      activation: config.activation === 'relu' ? 'relu' : 'linear',
      weights: Array.from(kernel.dataSync()),
      bias: Array.from(bias.dataSync()),
    });
  }
  return layers;
}

/** Platt scaling: fits p = sigmoid(a * u + b) to the labels by Newton's method on the log-loss. */
export function fitPlatt(logits: ArrayLike<number>, labels: ArrayLike<number>): { a: number; b: number } {
  let a = 1;
  let b = 0;
  const ridge = 1e-6;
  for (let iteration = 0; iteration < 50; iteration += 1) {
    let ga = 0;
    let gb = 0;
    let haa = ridge;
    let hab = 0;
    let hbb = ridge;
    for (let i = 0; i < labels.length; i += 1) {
      const u = logits[i]!;
      const p = 1 / (1 + Math.exp(-(a * u + b)));
      const error = p - labels[i]!;
      const weight = p * (1 - p);
      ga += error * u;
      gb += error;
      haa += weight * u * u;
      hab += weight * u;
      hbb += weight;
    }
    const determinant = haa * hbb - hab * hab;
    if (!(Math.abs(determinant) > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / determinant;
    const db = (haa * gb - hab * ga) / determinant;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}

function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i += 1) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probabilities[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

/** Hold-out figures of an artifact on a dataset, with the artifact's own threshold. */
export function evaluateArtifact(artifact: ModelArtifact, dataset: Dataset): Evaluation {
  const scorer = new RiskScorer(artifact);
  const probabilities = dataset.rows.map((row) => scorer.probability(row));
  return evaluate(dataset.labels, probabilities, artifact.threshold);
}

/** Compact UTC stamp for version names: 20261122T195512Z. */
function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * Trains one model on the split's training part. Class imbalance: positives are weighted by
 * negatives / positives in the loss, so the rare failing cells are not ignored; that weighting skews
 * the probabilities upwards, which Platt scaling on the (unweighted) validation part undoes, and the
 * reliability table of the hold-out checks it. The best epoch by calibrated validation log-loss is kept.
 */
export async function trainModel(split: Split, options: TrainOptions): Promise<ModelArtifact> {
  const started = Date.now();
  const backend = await initTfBackend();
  const positives = split.train.labels.reduce((sum, label) => sum + label, 0);
  const negatives = split.train.labels.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new RiskModelError(
      `the training part has ${positives} failing and ${negatives} passing cells; it needs both`,
      false,
    );
  }
  const positiveWeight = negatives / positives;
  const norm = normalisation(split.train);
  const maxEpochs = options.maxEpochs ?? 60;
  const patience = options.patience ?? 8;
  const seed = options.seed ?? 1;
  const model = buildNetwork(options, FEATURE_NAMES.length);
  const x = normalisedTensor(split.train, norm);
  const y = tf.tensor2d(Float32Array.from(split.train.labels), [split.train.labels.length, 1]);
  const xValidation = normalisedTensor(split.validation, norm);

  let best = { loss: Infinity, epoch: 0, weights: model.getWeights().map((weight) => weight.clone()) };
  let epoch = 0;
  try {
    for (; epoch < maxEpochs && epoch - best.epoch < patience; epoch += 1) {
      await model.fit(x, y, {
        epochs: 1,
        batchSize: options.batchSize ?? 128,
        shuffle: true,
        classWeight: { 0: 1, 1: positiveWeight },
        verbose: 0,
      });
      const predicted = tf.tidy(() => (model.predict(xValidation) as tf.Tensor).dataSync());
      // The class weighting skews raw probabilities, so the epoch is judged on its log-loss after the same
      // Platt recalibration the final model gets: what counts is how well it can be calibrated and ranks.
      const logits = Array.from(predicted, (p) => {
        const clipped = Math.min(1 - 1e-7, Math.max(1e-7, p));
        return Math.log(clipped / (1 - clipped));
      });
      const { a, b } = fitPlatt(logits, split.validation.labels);
      const loss = logLoss(
        split.validation.labels,
        logits.map((u) => 1 / (1 + Math.exp(-(a * u + b)))),
      );
      options.onEpoch?.(epoch + 1, maxEpochs, loss);
      if (loss < best.loss) {
        best.weights.forEach((weight) => weight.dispose());
        best = { loss, epoch, weights: model.getWeights().map((weight) => weight.clone()) };
      }
    }
    model.setWeights(best.weights);

    const uncalibrated = modelArtifactSchema.parse({
      format: 1,
      version: `risk-${stamp(options.now)}-${options.kind}`,
      kind: options.kind,
      createdAt: options.now.toISOString(),
      features: [...FEATURE_NAMES],
      featureConfig: options.featureConfig,
      normalisation: norm,
      layers: exportLayers(model),
      calibration: { a: 1, b: 0 },
      threshold: 0.5,
      dataRange: {
        from: usToIso(split.train.ts[0]!),
        to: usToIso(split.holdout.ts[split.holdout.ts.length - 1]!),
        holdoutFrom: usToIso(split.holdout.ts[0]!),
        trainCells: split.train.rows.length,
        validationCells: split.validation.rows.length,
        holdoutCells: split.holdout.rows.length,
      },
      metrics: { validation: evaluate([], [], 0.5), holdout: evaluate([], [], 0.5) },
      training: { epochs: epoch, positiveWeight, seed, backend, durationMs: 0 },
    });
    const raw = new RiskScorer(uncalibrated);
    const logits = split.validation.rows.map((row) => {
      const p = Math.min(1 - 1e-12, Math.max(1e-12, raw.probability(row)));
      return Math.log(p / (1 - p));
    });
    const calibration = fitPlatt(logits, split.validation.labels);
    const calibrated = modelArtifactSchema.parse({ ...uncalibrated, calibration });
    const scorer = new RiskScorer(calibrated);
    const validationProbabilities = split.validation.rows.map((row) => scorer.probability(row));
    const threshold = bestF1Threshold(split.validation.labels, validationProbabilities);
    const final = { ...calibrated, threshold };
    return modelArtifactSchema.parse({
      ...final,
      metrics: {
        validation: evaluate(split.validation.labels, validationProbabilities, threshold),
        holdout: evaluateArtifact(final, split.holdout),
      },
      training: { ...final.training, durationMs: Date.now() - started },
    });
  } finally {
    best.weights.forEach((weight) => weight.dispose());
    x.dispose();
    y.dispose();
    xValidation.dispose();
    model.dispose();
  }
}

/**
 * The same model run by TensorFlow.js (`predict` on a batch): the reference the plain-JS
 * {@link RiskScorer} is checked against, and the alternative the inference bench measures.
 */
export class TfjsScorer {
  private readonly model: tf.Sequential;

  constructor(private readonly artifact: ModelArtifact) {
    this.model = tf.sequential();
    artifact.layers.forEach((layer, index) =>
      this.model.add(
        tf.layers.dense({
          units: layer.units,
          activation: layer.activation,
          weights: [tf.tensor2d(layer.weights, [layer.inputs, layer.units]), tf.tensor1d(layer.bias)],
          ...(index === 0 ? { inputShape: [layer.inputs] } : {}),
        }),
      ),
    );
  }

  /** Calibrated probabilities of raw feature rows. */
  probabilities(rows: readonly Float64Array[]): Float32Array {
    const { mean, std } = this.artifact.normalisation;
    const { a, b } = this.artifact.calibration;
    const width = mean.length;
    const flat = new Float32Array(rows.length * width);
    rows.forEach((row, r) => {
      for (let i = 0; i < width; i += 1) flat[r * width + i] = (row[i]! - mean[i]!) / std[i]!;
    });
    return tf.tidy(() => {
      const logits = this.model.predict(tf.tensor2d(flat, [rows.length, width])) as tf.Tensor;
      return logits.mul(a).add(b).sigmoid().dataSync() as Float32Array;
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}
