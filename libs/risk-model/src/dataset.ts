import type { Inspection } from '@millrace/schema';
import { isoToUs, usToIso, type EpochUs } from '@millrace/time';
import { RiskModelError } from './errors.js';
import { extractFeatures, FEATURE_NAMES, type CellInspections, type FeatureConfig } from './features.js';
import type { SeriesStore } from './series.js';

/**
 * A cell joins the training set when it passed FQC and has an OQC record: the OQC verdict is the label
 * (fail = high risk). OQC measurements are never features, because they are what the label is made of;
 * a model scoring after OQC would only restate the verdict. Cells scrapped at IPQC or FQC have no
 * outcome to learn; cells without OQC yet are unlabelled.
 */
export interface LabeledCell extends CellInspections {
  label: 0 | 1;
}

export interface Dataset {
  /** Row-major, `FEATURE_NAMES.length` values per cell. */
  rows: Float64Array[];
  labels: Uint8Array;
  /** IPQC time of each cell, microseconds; rows are in this order. */
  ts: EpochUs[];
  cellIds: string[];
  /** Cells left out, by reason (scrapped, unlabelled, or a feature problem). */
  skipped: Map<string, number>;
}

/**
 * Groups inspection records by cell into labelled cells, in IPQC time order. Records are taken in time
 * order and an IPQC starts a new cell, so a cell id that comes round again (a restarted simulator, an
 * MES reusing numbers) pairs each FQC and OQC with the IPQC before it, never with another life's.
 */
export function labelCells(inspections: readonly Inspection[]): {
  cells: LabeledCell[];
  skipped: Map<string, number>;
} {
  const cells: LabeledCell[] = [];
  const skipped = new Map<string, number>();
  const skip = (reason: string) => skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  const open = new Map<string, { ipqc?: Inspection; fqc?: Inspection }>();
  const close = (cellId: string, stages: { ipqc?: Inspection; fqc?: Inspection }, oqc?: Inspection) => {
    open.delete(cellId);
    const { ipqc, fqc } = stages;
    if (!ipqc) skip('no IPQC record');
    else if (ipqc.verdict === 'fail') skip('scrapped at IPQC');
    else if (!fqc) skip('no FQC record');
    else if (fqc.verdict === 'fail') skip('scrapped at FQC');
    else if (!oqc?.verdict) skip('no OQC verdict (unlabelled)');
    else
      cells.push({
        cellId,
        orderId: ipqc.orderId,
        line: ipqc.line,
        ipqc,
        fqc,
        label: oqc.verdict === 'fail' ? 1 : 0,
      });
  };
  const order = { IPQC: 0, FQC: 1, OQC: 2 } as const;
  const sorted = [...inspections].sort((a, b) => a.ts - b.ts || order[a.stage] - order[b.stage]);
  for (const inspection of sorted) {
    const stages = open.get(inspection.cellId);
    if (inspection.stage === 'IPQC') {
      if (stages) close(inspection.cellId, stages);
      open.set(inspection.cellId, { ipqc: inspection });
    } else if (inspection.stage === 'FQC') {
      if (stages?.fqc) close(inspection.cellId, stages);
      open.set(inspection.cellId, { ...(open.get(inspection.cellId) ?? {}), fqc: inspection });
    } else {
      close(inspection.cellId, stages ?? {}, inspection);
    }
  }
  for (const [cellId, stages] of open) close(cellId, stages);
  cells.sort((a, b) => a.ipqc.ts - b.ipqc.ts);
  return { cells, skipped };
}

/** Feature rows of labelled cells; a cell whose features cannot be extracted is counted, never imputed. */
export function buildDataset(
  config: FeatureConfig,
  cells: readonly LabeledCell[],
  series: SeriesStore,
): Dataset {
  const dataset: Dataset = {
    rows: [],
    labels: new Uint8Array(cells.length),
    ts: [],
    cellIds: [],
    skipped: new Map(),
  };
  let count = 0;
  for (const cell of cells) {
    const result = extractFeatures(config, cell, series);
    if (!result.ok) {
      const kind = result.reason.replace(/\[.*?\]/g, '[…]');
      dataset.skipped.set(kind, (dataset.skipped.get(kind) ?? 0) + 1);
      continue;
    }
    dataset.rows.push(result.values);
    dataset.labels[count] = cell.label;
    dataset.ts.push(cell.ipqc.ts);
    dataset.cellIds.push(cell.cellId);
    count += 1;
  }
  dataset.labels = dataset.labels.slice(0, count);
  return dataset;
}

export interface Split {
  train: Dataset;
  validation: Dataset;
  holdout: Dataset;
}

/**
 * Time-based split: the oldest cells train, the next validate (early stopping, calibration, threshold),
 * the newest are the hold-out. A random split would leak the line's drift from future into past.
 */
export function timeSplit(dataset: Dataset, holdoutFraction: number, validationFraction: number): Split {
  const n = dataset.rows.length;
  const holdoutStart = Math.floor(n * (1 - holdoutFraction));
  const validationStart = Math.floor(n * (1 - holdoutFraction - validationFraction));
  if (validationStart < 1 || holdoutStart <= validationStart || holdoutStart >= n) {
    throw new RiskModelError(`${n} cells are too few for a train / validation / hold-out split`, false);
  }
  const slice = (from: number, to: number): Dataset => ({
    rows: dataset.rows.slice(from, to),
    labels: dataset.labels.slice(from, to),
    ts: dataset.ts.slice(from, to),
    cellIds: dataset.cellIds.slice(from, to),
    skipped: new Map(),
  });
  return {
    train: slice(0, validationStart),
    validation: slice(validationStart, holdoutStart),
    holdout: slice(holdoutStart, n),
  };
}

const CSV_HEADER = ['cell_id', 'ts', ...FEATURE_NAMES, 'label'];

/** The feature table as CSV (`cell_id,ts,<features…>,label`, ts ISO-8601 UTC): what `millrace train --csv` reads. */
export function datasetToCsv(dataset: Dataset): string {
  const lines = [CSV_HEADER.join(',')];
  dataset.rows.forEach((row, index) => {
    lines.push(
      [
        dataset.cellIds[index],
        usToIso(dataset.ts[index]!),
        ...Array.from(row, String),
        dataset.labels[index],
      ].join(','),
    );
  });
  return `${lines.join('\n')}\n`;
}

/** Parses a feature-table CSV; the header must name exactly this build's features, every value must be finite. */
export function datasetFromCsv(text: string): Dataset {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const header = lines[0]?.split(',') ?? [];
  if (header.join(',') !== CSV_HEADER.join(',')) {
    throw new RiskModelError(`CSV header must be ${CSV_HEADER.join(',')}; got ${header.join(',')}`, false);
  }
  const dataset: Dataset = {
    rows: [],
    labels: new Uint8Array(lines.length - 1),
    ts: [],
    cellIds: [],
    skipped: new Map(),
  };
  const order: { ts: number; index: number }[] = [];
  for (let index = 1; index < lines.length; index += 1) {
    const fields = lines[index]!.split(',');
    const values = fields.slice(2, 2 + FEATURE_NAMES.length).map(Number);
    const label = fields[fields.length - 1];
    if (
      fields.length !== CSV_HEADER.length ||
      values.some((value) => !Number.isFinite(value)) ||
      (label !== '0' && label !== '1')
    ) {
      throw new RiskModelError(
        `CSV line ${index + 1}: needs ${CSV_HEADER.length} fields, finite features and label 0 or 1`,
        false,
      );
    }
    let ts: EpochUs;
    try {
      ts = isoToUs(fields[1]!);
    } catch {
      throw new RiskModelError(`CSV line ${index + 1}: ts ${fields[1]} is not an ISO-8601 instant`, false);
    }
    dataset.rows.push(Float64Array.from(values));
    dataset.labels[index - 1] = label === '1' ? 1 : 0;
    dataset.ts.push(ts);
    dataset.cellIds.push(fields[0]!);
    order.push({ ts, index: index - 1 });
  }
  // Rows keep time order so the hold-out is the newest cells whatever order the file had.
  order.sort((a, b) => a.ts - b.ts);
  return {
    rows: order.map(({ index }) => dataset.rows[index]!),
    labels: Uint8Array.from(order, ({ index }) => dataset.labels[index]!),
    ts: order.map(({ index }) => dataset.ts[index]!),
    cellIds: order.map(({ index }) => dataset.cellIds[index]!),
    skipped: new Map(),
  };
}
