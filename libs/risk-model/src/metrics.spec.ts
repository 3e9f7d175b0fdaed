import { describe, expect, it } from 'vitest';
import { bestF1Threshold, brierScore, confusionAt, prAuc, reliabilityTable, rocAuc } from './metrics.js';

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 when all scores tie', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])).toBe(0);
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });

  it('counts the pairs a ranking gets right (3 of 4 here)', () => {
    expect(rocAuc([0, 1, 0, 1], [0.1, 0.4, 0.5, 0.8])).toBe(0.75);
  });

  it('is undefined with one class only', () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
  });
});

describe('prAuc (average precision)', () => {
  it('sums precision at each recall step', () => {
    // Ranked: 1 (P=1, R=.5), 0, 1 (P=2/3, R=1) -> 0.5 * 1 + 0.5 * 2/3
    expect(prAuc([1, 0, 1], [0.9, 0.8, 0.7])).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('treats tied scores as one threshold', () => {
    expect(prAuc([1, 0], [0.5, 0.5])).toBe(0.5);
  });
});

describe('brierScore and the reliability table', () => {
  it('are exact on a small case', () => {
    expect(brierScore([1, 0], [0.8, 0.4])).toBeCloseTo((0.04 + 0.16) / 2, 12);
    const table = reliabilityTable([1, 0, 1, 0], [0.05, 0.05, 0.95, 0.91], 10);
    expect(table[0]).toMatchObject({ count: 2, meanPredicted: 0.05, observedRate: 0.5 });
    expect(table[9]).toMatchObject({ count: 2, observedRate: 0.5 });
    expect(table[5]).toMatchObject({ count: 0, meanPredicted: null });
  });
});

describe('confusionAt and bestF1Threshold', () => {
  it('counts at a threshold, inclusive', () => {
    expect(confusionAt([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], 0.6)).toMatchObject({
      precision: 0.5,
      recall: 0.5,
      truePositives: 1,
      falsePositives: 1,
      falseNegatives: 1,
    });
  });

  it('picks the score that maximises F1', () => {
    expect(bestF1Threshold([1, 1, 0, 0, 1], [0.9, 0.8, 0.7, 0.2, 0.6])).toBe(0.6);
  });
});
