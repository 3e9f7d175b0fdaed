import { z } from 'zod';

/** Labels are 1 (high risk: the cell failed OQC) or 0; scores are calibrated probabilities. */
type Labels = ArrayLike<number>;
type Scores = ArrayLike<number>;

function sortedByScoreDesc(scores: Scores): number[] {
  return Array.from({ length: scores.length }, (_, index) => index).sort((a, b) => scores[b]! - scores[a]!);
}

function positives(labels: Labels): number {
  let count = 0;
  for (let index = 0; index < labels.length; index += 1) count += labels[index]! === 1 ? 1 : 0;
  return count;
}

/**
 * Area under the ROC curve by the rank-sum (Mann-Whitney U) formula, ties counted half. NaN when one
 * class is absent, since the curve is then undefined.
 */
export function rocAuc(labels: Labels, scores: Scores): number {
  const nPos = positives(labels);
  const nNeg = labels.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  const order = Array.from({ length: scores.length }, (_, index) => index).sort(
    (a, b) => scores[a]! - scores[b]!,
  );
  let rankSumPos = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end += 1;
    const averageRank = (start + end) / 2 + 1;
    for (let index = start; index <= end; index += 1)
      if (labels[order[index]!] === 1) rankSumPos += averageRank;
    start = end + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Area under the precision-recall curve as average precision (the step-wise sum scikit-learn reports,
 * no interpolation, which would flatter a model). Tied scores form one threshold. Its chance level is
 * the positive rate, not 0.5.
 */
export function prAuc(labels: Labels, scores: Scores): number {
  const nPos = positives(labels);
  if (nPos === 0) return Number.NaN;
  const order = sortedByScoreDesc(scores);
  let truePositives = 0;
  let seen = 0;
  let previousRecall = 0;
  let area = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end += 1;
    for (let index = start; index <= end; index += 1) {
      seen += 1;
      if (labels[order[index]!] === 1) truePositives += 1;
    }
    const recall = truePositives / nPos;
    area += (recall - previousRecall) * (truePositives / seen);
    previousRecall = recall;
    start = end + 1;
  }
  return area;
}

/** Mean squared difference of probability and outcome: 0 perfect, 0.25 for always saying 0.5. */
export function brierScore(labels: Labels, scores: Scores): number {
  let sum = 0;
  for (let index = 0; index < labels.length; index += 1) sum += (scores[index]! - labels[index]!) ** 2;
  return labels.length === 0 ? Number.NaN : sum / labels.length;
}

export const reliabilityBinSchema = z.object({
  from: z.number(),
  to: z.number(),
  count: z.number().int(),
  meanPredicted: z.number().nullable(),
  observedRate: z.number().nullable(),
});
export type ReliabilityBin = z.infer<typeof reliabilityBinSchema>;

/** Reliability table: in each probability bin, the mean predicted probability beside the observed rate. */
export function reliabilityTable(labels: Labels, scores: Scores, bins = 10): ReliabilityBin[] {
  const counts = new Array<number>(bins).fill(0);
  const predicted = new Array<number>(bins).fill(0);
  const observed = new Array<number>(bins).fill(0);
  for (let index = 0; index < labels.length; index += 1) {
    const score = scores[index]!;
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(score * bins)));
    counts[bin]! += 1;
    predicted[bin]! += score;
    observed[bin]! += labels[index]!;
  }
  return counts.map((count, bin) => ({
    from: bin / bins,
    to: (bin + 1) / bins,
    count,
    meanPredicted: count === 0 ? null : predicted[bin]! / count,
    observedRate: count === 0 ? null : observed[bin]! / count,
  }));
}

export interface ConfusionAt {
  threshold: number;
  precision: number;
  recall: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

/** Precision and recall when a probability at or above `threshold` is called high risk. */
export function confusionAt(labels: Labels, scores: Scores, threshold: number): ConfusionAt {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  for (let index = 0; index < labels.length; index += 1) {
    const high = scores[index]! >= threshold;
    if (labels[index] === 1) {
      if (high) truePositives += 1;
      else falseNegatives += 1;
    } else if (high) falsePositives += 1;
  }
  const called = truePositives + falsePositives;
  const actual = truePositives + falseNegatives;
  return {
    threshold,
    precision: called === 0 ? Number.NaN : truePositives / called,
    recall: actual === 0 ? Number.NaN : truePositives / actual,
    truePositives,
    falsePositives,
    falseNegatives,
  };
}

/** The threshold among the observed scores that maximises F1; 0.5 when there is no positive. */
export function bestF1Threshold(labels: Labels, scores: Scores): number {
  const nPos = positives(labels);
  if (nPos === 0) return 0.5;
  const order = sortedByScoreDesc(scores);
  let truePositives = 0;
  let best = { f1: -1, threshold: 0.5 };
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end += 1;
    for (let index = start; index <= end; index += 1) if (labels[order[index]!] === 1) truePositives += 1;
    const f1 = (2 * truePositives) / (end + 1 + nPos);
    if (f1 > best.f1) best = { f1, threshold: scores[order[start]!]! };
    start = end + 1;
  }
  return best.threshold;
}

export const evaluationSchema = z.object({
  cells: z.number().int(),
  positives: z.number().int(),
  rocAuc: z.number().nullable(),
  prAuc: z.number().nullable(),
  brier: z.number().nullable(),
  threshold: z.number(),
  precision: z.number().nullable(),
  recall: z.number().nullable(),
  reliability: z.array(reliabilityBinSchema),
});
export type Evaluation = z.infer<typeof evaluationSchema>;

const orNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

/** Every hold-out figure the model artifact keeps and the train report prints. */
export function evaluate(labels: Labels, scores: Scores, threshold: number): Evaluation {
  const confusion = confusionAt(labels, scores, threshold);
  return {
    cells: labels.length,
    positives: positives(labels),
    rocAuc: orNull(rocAuc(labels, scores)),
    prAuc: orNull(prAuc(labels, scores)),
    brier: orNull(brierScore(labels, scores)),
    threshold,
    precision: orNull(confusion.precision),
    recall: orNull(confusion.recall),
    reliability: reliabilityTable(labels, scores),
  };
}
