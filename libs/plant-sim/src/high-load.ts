import { tagPath, type TagPath } from '@millrace/schema';
import { hashNormal, hashUniform } from './random.js';

/**
 * A benchmark profile: many numeric tags sampled at a high rate, each a slow sine around its own
 * level plus noise, so compression and downsampling see realistic, non-constant data. Stateless: the
 * value of tag `i` at `tMs` depends only on the seed, `i` and `tMs`.
 */
export interface HighLoadOptions {
  seed: number;
  tagCount: number;
  /** Time between two samples of one tag. */
  periodMs: number;
}

export const HIGH_LOAD_PREFIX = 'plant1/bench/hl';

/** One sampling instant: `values[i]` belongs to `tags[i]`. */
export interface HighLoadTick {
  tsMs: number;
  values: Float64Array;
}

export class HighLoadProfile {
  readonly tags: readonly TagPath[];
  private readonly level: Float64Array;
  private readonly amplitude: Float64Array;
  private readonly omega: Float64Array;
  private readonly phase: Float64Array;

  constructor(readonly options: HighLoadOptions) {
    const { seed, tagCount, periodMs } = options;
    if (!Number.isInteger(tagCount) || tagCount < 1)
      throw new RangeError(`tagCount must be >= 1, got ${tagCount}`);
    if (!(periodMs > 0)) throw new RangeError(`periodMs must be > 0, got ${periodMs}`);
    this.tags = Array.from({ length: tagCount }, (_, index) =>
      tagPath(`${HIGH_LOAD_PREFIX}/ch${String(index).padStart(4, '0')}/value`),
    );
    this.level = new Float64Array(tagCount);
    this.amplitude = new Float64Array(tagCount);
    this.omega = new Float64Array(tagCount);
    this.phase = new Float64Array(tagCount);
    for (let index = 0; index < tagCount; index += 1) {
      this.level[index] = 10 ** (hashUniform(seed, index, 1) * 4);
      this.amplitude[index] = (this.level[index] ?? 1) * (0.05 + 0.2 * hashUniform(seed, index, 2));
      // Periods of 10 s to 10 min: visible shape at every zoom level of a dashboard.
      this.omega[index] = (2 * Math.PI) / (10_000 + 590_000 * hashUniform(seed, index, 3));
      this.phase[index] = 2 * Math.PI * hashUniform(seed, index, 4);
    }
  }

  /** Samples per second over all tags. */
  get samplesPerSecond(): number {
    return (this.tags.length * 1000) / this.options.periodMs;
  }

  /** Every tag's value at `tMs`, written into `out` when given (no allocation in a hot loop). */
  valuesAt(tMs: number, out: Float64Array = new Float64Array(this.tags.length)): Float64Array {
    const { seed } = this.options;
    for (let index = 0; index < this.tags.length; index += 1) {
      const amplitude = this.amplitude[index] ?? 0;
      out[index] =
        (this.level[index] ?? 0) +
        amplitude * Math.sin((this.omega[index] ?? 0) * tMs + (this.phase[index] ?? 0)) +
        0.02 * amplitude * hashNormal(seed, index, tMs);
    }
    return out;
  }

  /** The sampling instants in `[fromMs, toMs)` on the period's grid, with their values. */
  *ticks(fromMs: number, toMs: number): Generator<HighLoadTick> {
    const { periodMs } = this.options;
    for (let t = Math.ceil(fromMs / periodMs) * periodMs; t < toMs; t += periodMs) {
      yield { tsMs: t, values: this.valuesAt(t) };
    }
  }
}
