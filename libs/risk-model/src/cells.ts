import { RISK_RECOMMENDATIONS, type Inspection, type RiskEvent } from '@millrace/schema';
import {
  extractFeatures,
  type CellInspections,
  type FeatureConfig,
  type UnscorableKind,
} from './features.js';
import type { Reason, RiskScorer } from './scorer.js';
import type { SeriesReader } from './series.js';

export type AssembleOutcome =
  | { kind: 'ready'; cell: CellInspections }
  /** IPQC stored; the cell is scored when its FQC comes. */
  | { kind: 'waiting' }
  /** FQC whose IPQC is not in memory (e.g. a restart between the two): the caller looks it up. */
  | { kind: 'missing-ipqc'; fqc: Inspection }
  | { kind: 'scrapped'; stage: 'IPQC' | 'FQC' }
  /** OQC: the outcome the model predicts, never an input. */
  | { kind: 'outcome' };

/**
 * Pairs a cell's IPQC with its FQC, when the cell is scored. Inspections are keyed by cell id on Kafka,
 * so both stages of a cell arrive in order on one partition. `add` is idempotent, so a batch that is
 * retried pairs the same way again; the caller `forget`s cells once their events are sent. Bounded:
 * the oldest pending IPQC records are dropped beyond `maxPending` (their FQC then takes the
 * `missing-ipqc` path).
 */
export class CellAssembler {
  private readonly pending = new Map<string, Inspection>();

  constructor(private readonly maxPending = 100_000) {}

  get size(): number {
    return this.pending.size;
  }

  add(inspection: Inspection): AssembleOutcome {
    switch (inspection.stage) {
      case 'IPQC': {
        if (inspection.verdict === 'fail') return { kind: 'scrapped', stage: 'IPQC' };
        this.pending.delete(inspection.cellId);
        this.pending.set(inspection.cellId, inspection);
        if (this.pending.size > this.maxPending) {
          const oldest = this.pending.keys().next().value;
          if (oldest !== undefined) this.pending.delete(oldest);
        }
        return { kind: 'waiting' };
      }
      case 'FQC': {
        const ipqc = this.pending.get(inspection.cellId);
        if (inspection.verdict === 'fail') return { kind: 'scrapped', stage: 'FQC' };
        if (!ipqc) return { kind: 'missing-ipqc', fqc: inspection };
        return { kind: 'ready', cell: pairCell(ipqc, inspection) };
      }
      case 'OQC':
        return { kind: 'outcome' };
    }
  }

  /** Drops a cell's pending IPQC once the cell is done with (scored or scrapped). */
  forget(cellId: string): void {
    this.pending.delete(cellId);
  }
}

export function pairCell(ipqc: Inspection, fqc: Inspection): CellInspections {
  return { cellId: fqc.cellId, orderId: fqc.orderId, line: fqc.line, ipqc, fqc };
}

export interface ScoredCell {
  event: RiskEvent;
  /** Set when the cell could not be scored. */
  unscorable?: UnscorableKind;
  /** Set when it was: the class, for the feedback rules. */
  high?: boolean;
  reasons: Reason[];
}

/**
 * The `quality.risk.v1` event of one cell: scored, or 'unknown' with the reason when a feature is
 * missing or out of its physical range. Timestamped with the FQC time, so re-scoring the same cell
 * with the same model lands on the same `risk_events` row (its DEDUP keys are ts, cell_id, model_version).
 */
export function scoreCell(
  scorer: RiskScorer,
  config: FeatureConfig,
  cell: CellInspections,
  series: SeriesReader,
  buffer?: Float64Array,
): ScoredCell {
  const base = { cellId: cell.cellId, orderId: cell.orderId, ts: cell.fqc.ts, modelVersion: scorer.version };
  const features = extractFeatures(config, cell, series, buffer);
  if (!features.ok) {
    return {
      event: {
        ...base,
        riskClass: 'unknown',
        probability: null,
        recommendation: RISK_RECOMMENDATIONS.unknown,
        reasons: [],
        unknownReason: features.reason.slice(0, 512),
      },
      unscorable: features.kind,
      reasons: [],
    };
  }
  const score = scorer.score(features.values);
  const riskClass = score.high ? 'high' : 'low';
  return {
    event: {
      ...base,
      riskClass,
      probability: score.probability,
      recommendation: RISK_RECOMMENDATIONS[riskClass],
      reasons: score.reasons,
    },
    high: score.high,
    reasons: score.reasons,
  };
}
