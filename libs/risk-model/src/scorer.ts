import type { ModelArtifact } from './artifact.js';
import { FEATURE_NAMES } from './features.js';
import { RiskModelError } from './errors.js';

export interface Reason {
  feature: string;
  /** The feature's value as the model saw it, before normalisation. */
  value: number;
  /** Signed change of the calibrated log-odds when this feature alone is set to its training mean. */
  contribution: number;
}

export interface Score {
  probability: number;
  high: boolean;
  reasons: Reason[];
}

interface Layer {
  inputs: number;
  units: number;
  relu: boolean;
  weights: Float64Array;
  bias: Float64Array;
}

/**
 * Scores feature vectors with a trained artifact in plain JavaScript. Training runs in TensorFlow.js;
 * serving does not, because a network this small (a few hundred multiply-adds) costs far less than
 * one tfjs call's tensor allocation and dispose, and the single-event latency goal is about that
 * overhead. A spec checks this forward pass against tfjs's `predict` to 1e-5.
 *
 * Reasons are occlusion attributions: each feature in turn is set to its training mean (z = 0) and the
 * change of the calibrated log-odds is its contribution. For the logistic model that is exactly
 * `a * w_i * z_i`; for the MLP only the first layer's pre-activation changes, so each occlusion updates
 * the second layer by the first-layer units whose output changed and runs the rest, not a full pass.
 * No allocation per call except the returned reasons.
 */
export class RiskScorer {
  readonly version: string;
  readonly features: readonly string[];
  readonly threshold: number;
  private readonly layers: Layer[];
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  private readonly a: number;
  private readonly b: number;
  private readonly z: Float64Array;
  private readonly first: Float64Array;
  private readonly buffers: Float64Array[];
  private readonly contributions: Float64Array;
  private readonly secondBase: Float64Array;
  private readonly secondOccluded: Float64Array;
  private readonly occludedActive: Float64Array;
  private readonly occludedBuffers: Float64Array[];

  constructor(
    artifact: ModelArtifact,
    private readonly topReasons = 3,
  ) {
    if (artifact.features.join(',') !== FEATURE_NAMES.join(',')) {
      throw new RiskModelError(
        `model ${artifact.version} was trained on features [${artifact.features.join(', ')}], this build extracts [${FEATURE_NAMES.join(', ')}]`,
        false,
        { version: artifact.version },
      );
    }
    this.version = artifact.version;
    this.features = artifact.features;
    this.threshold = artifact.threshold;
    this.layers = artifact.layers.map((layer) => ({
      inputs: layer.inputs,
      units: layer.units,
      relu: layer.activation === 'relu',
      weights: Float64Array.from(layer.weights),
      bias: Float64Array.from(layer.bias),
    }));
    this.mean = Float64Array.from(artifact.normalisation.mean);
    this.std = Float64Array.from(artifact.normalisation.std);
    this.a = artifact.calibration.a;
    this.b = artifact.calibration.b;
    const n = artifact.features.length;
    this.z = new Float64Array(n);
    this.first = new Float64Array(this.layers[0]!.units);
    this.buffers = this.layers.map((layer) => new Float64Array(layer.units));
    this.contributions = new Float64Array(n);
    const secondUnits = this.layers[1]?.units ?? 1;
    this.secondBase = new Float64Array(secondUnits);
    this.secondOccluded = new Float64Array(secondUnits);
    this.occludedActive = new Float64Array(secondUnits);
    this.occludedBuffers = this.layers.map((layer) => new Float64Array(layer.units));
  }

  /** Calibrated probability of high risk for one raw feature vector (as `extractFeatures` gives it). */
  probability(values: Float64Array): number {
    this.normalise(values);
    this.firstLayer();
    return sigmoid(this.a * this.upper(this.first) + this.b);
  }

  /** Probability, class and the top reasons by absolute contribution. */
  score(values: Float64Array): Score {
    this.normalise(values);
    this.firstLayer();
    const logit = this.a * this.upper(this.first) + this.b;
    const first = this.layers[0]!;
    const units = first.units;
    if (this.layers.length === 1) {
      // Logistic: the logit is linear in z, so each contribution is exact and costs one multiply.
      for (let i = 0; i < this.z.length; i += 1)
        this.contributions[i] = this.a * this.z[i]! * first.weights[i * units]!;
    } else {
      // Occluding z_i moves only the first layer's pre-activation; the second layer's pre-activation is
      // updated by the first-layer units whose (ReLU) output actually changed, not recomputed.
      const second = this.layers[1]!;
      const width = second.units;
      const active = this.buffers[0]!;
      const base = this.secondBase;
      base.set(second.bias);
      for (let j = 0; j < units; j += 1) {
        const aj = active[j]!;
        if (aj === 0) continue;
        const row = j * width;
        for (let k = 0; k < width; k += 1) base[k]! += aj * second.weights[row + k]!;
      }
      for (let i = 0; i < this.z.length; i += 1) {
        const zi = this.z[i]!;
        if (zi === 0) {
          this.contributions[i] = 0;
          continue;
        }
        const pre = this.secondOccluded;
        pre.set(base);
        const row = i * units;
        for (let j = 0; j < units; j += 1) {
          const h = this.first[j]! - zi * first.weights[row + j]!;
          const changed = (first.relu && h < 0 ? 0 : h) - active[j]!;
          if (changed === 0) continue;
          const out = j * width;
          for (let k = 0; k < width; k += 1) pre[k]! += changed * second.weights[out + k]!;
        }
        this.contributions[i] = logit - (this.a * this.fromSecond(pre) + this.b);
      }
    }
    const probability = sigmoid(logit);
    return { probability, high: probability >= this.threshold, reasons: this.top(values) };
  }

  private normalise(values: Float64Array): void {
    for (let i = 0; i < this.z.length; i += 1) this.z[i] = (values[i]! - this.mean[i]!) / this.std[i]!;
  }

  /** Pre-activation of the first layer into `first`. */
  private firstLayer(): void {
    const layer = this.layers[0]!;
    const units = layer.units;
    this.first.set(layer.bias);
    for (let i = 0; i < layer.inputs; i += 1) {
      const zi = this.z[i]!;
      if (zi === 0) continue;
      const row = i * units;
      for (let j = 0; j < units; j += 1) this.first[j]! += zi * layer.weights[row + j]!;
    }
  }

  /** From the second layer's pre-activation to the uncalibrated logit (networks of two or more layers). */
  private fromSecond(preActivation: Float64Array): number {
    const second = this.layers[1]!;
    let input = this.occludedActive;
    for (let k = 0; k < second.units; k += 1) {
      const value = preActivation[k]!;
      input[k] = second.relu && value < 0 ? 0 : value;
    }
    for (let l = 2; l < this.layers.length; l += 1) {
      const layer = this.layers[l]!;
      const output = this.occludedBuffers[l]!;
      dense(layer, input, output);
      input = output;
    }
    return input[0]!;
  }

  /** From the first layer's pre-activation to the uncalibrated logit. */
  private upper(preActivation: Float64Array): number {
    let input = this.buffers[0]!;
    const firstRelu = this.layers[0]!.relu;
    for (let j = 0; j < input.length; j += 1) {
      const value = preActivation[j]!;
      input[j] = firstRelu && value < 0 ? 0 : value;
    }
    for (let l = 1; l < this.layers.length; l += 1) {
      const layer = this.layers[l]!;
      const output = this.buffers[l]!;
      dense(layer, input, output);
      input = output;
    }
    return input[0]!;
  }

  private top(values: Float64Array): Reason[] {
    const reasons: Reason[] = [];
    const taken = new Uint8Array(this.contributions.length);
    for (let k = 0; k < Math.min(this.topReasons, this.contributions.length); k += 1) {
      let best = -1;
      for (let i = 0; i < this.contributions.length; i += 1) {
        if (
          taken[i] === 0 &&
          (best === -1 || Math.abs(this.contributions[i]!) > Math.abs(this.contributions[best]!))
        )
          best = i;
      }
      taken[best] = 1;
      reasons.push({
        feature: this.features[best]!,
        value: values[best]!,
        contribution: this.contributions[best]!,
      });
    }
    return reasons;
  }
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** `output = act(bias + input · weights)`, skipping zero inputs (ReLU and occlusion make many). */
function dense(layer: Layer, input: Float64Array, output: Float64Array): void {
  const units = layer.units;
  output.set(layer.bias);
  for (let i = 0; i < layer.inputs; i += 1) {
    const xi = input[i]!;
    if (xi === 0) continue;
    const row = i * units;
    for (let j = 0; j < units; j += 1) output[j]! += xi * layer.weights[row + j]!;
  }
  if (layer.relu) for (let j = 0; j < units; j += 1) if (output[j]! < 0) output[j] = 0;
}
