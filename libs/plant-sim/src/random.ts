/**
 * Seeded randomness. Two kinds, both without `Math.random`:
 * - {@link Prng}, a sequential generator (mulberry32) for models that step through time with state;
 * - {@link hashUniform} / {@link hashNormal}, stateless draws keyed by integers, for models that are a pure
 *   function of `(seed, time)`: the same instant gives the same value however often and in whatever order
 *   it is asked for.
 */

/** mulberry32: 32 bits of state, period 2^32, good enough for simulation noise and fast. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Normal by Box-Muller; uses two draws so the sequence does not depend on a cached spare. */
  normal(mean = 0, sd = 1): number {
    return mean + sd * boxMuller(this.next(), this.next());
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Picks one of `choices` with probability proportional to its weight. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    return pickWeighted(choices, this.next());
  }
}

/** Mixes integers into one 32-bit hash (murmur3's finaliser after each word). */
export function hash32(...words: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const word of words) {
    // Splits doubles beyond 32 bits (epoch milliseconds) into two words so no information is lost.
    const low = word >>> 0;
    const high = Math.floor(word / 4_294_967_296) >>> 0;
    h = fmix(h ^ low);
    h = fmix(h ^ high ^ 0x85ebca6b);
  }
  return h >>> 0;
}

/** Stateless uniform in [0, 1) for the key `words`. */
export function hashUniform(...words: readonly number[]): number {
  return hash32(...words) / 4_294_967_296;
}

/** A seeded source of uniform numbers in [0, 1), for tests and benchmarks that must replay from a seed. */
export function seededRandom(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

/** Stateless standard normal for the key `words`. */
export function hashNormal(...words: readonly number[]): number {
  return boxMuller(hashUniform(...words, 1), hashUniform(...words, 2));
}

/**
 * Smooth noise: standard-normal knots every `knotMs`, cosine-interpolated between, so a slow wander
 * (a drifting bearing temperature, a roll heating up) has no steps.
 */
export function smoothNoise(seed: number, channel: number, tMs: number, knotMs: number): number {
  const position = tMs / knotMs;
  const knot = Math.floor(position);
  const fraction = position - knot;
  const blend = (1 - Math.cos(Math.PI * fraction)) / 2;
  const a = hashNormal(seed, channel, knot);
  const b = hashNormal(seed, channel, knot + 1);
  return a + (b - a) * blend;
}

/** FNV-1a of a string: a channel number from a name, so adding a tag does not shift the others' noise. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    h = Math.imul(h ^ text.charCodeAt(index), 0x01000193);
  }
  return h >>> 0;
}

export function pickWeighted<T>(choices: readonly (readonly [T, number])[], uniform: number): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let threshold = uniform * total;
  for (const [choice, weight] of choices) {
    threshold -= weight;
    if (threshold < 0) return choice;
  }
  const last = choices[choices.length - 1];
  if (last === undefined) throw new RangeError('pickWeighted needs at least one choice');
  return last[0];
}

function boxMuller(u1: number, u2: number): number {
  // 1 - u keeps the logarithm's argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

function fmix(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
