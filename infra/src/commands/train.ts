import { readFile, writeFile } from 'node:fs/promises';
import { QueryClient } from '@millrace/questdb';
import {
  buildDataset,
  datasetFromCsv,
  datasetToCsv,
  decidePromotion,
  DEFAULT_FEATURE_CONFIG,
  evaluateArtifact,
  featureTags,
  INSPECTION_COLUMNS,
  inspectionFromRow,
  labelCells,
  loadCurrentArtifact,
  modelDir,
  promote,
  RiskModelError,
  samplesQuery,
  saveArtifact,
  seriesFromRows,
  SeriesStore,
  timeSplit,
  trainModel,
  type Dataset,
  type Evaluation,
  type ModelArtifact,
  type ModelKind,
} from '@millrace/risk-model';
import { TABLES, type Inspection } from '@millrace/schema';
import { epochUs, usToIso, type EpochUs } from '@millrace/time';
import { SingleBar } from 'cli-progress';
import { commandContext } from './addresses.js';
import { instantFlag, parseFlags, UsageError } from './flags.js';
import type { Command } from './types.js';

const USAGE =
  'millrace train (--from ISO --to ISO | --csv FILE) [--kind mlp|logistic|both] [--holdout 0.2] ' +
  '[--max-epochs 60] [--model-dir DIR] [--export-csv FILE] [--no-promote]';

const DAY_US = 86_400_000_000;

function fraction(flags: Map<string, string | true>, name: string, fallback: number): number {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (typeof text !== 'string' || !(value > 0 && value < 0.5))
    throw new UsageError(`--${name} must be between 0 and 0.5`);
  return value;
}

/** Inspections and the machine samples their features need, read from QuestDB a day at a time. */
async function datasetFromQuestDb(pgUrl: string, fromUs: EpochUs, toUs: EpochUs): Promise<Dataset> {
  const client = new QueryClient({ pgUrl, maxConnections: 1 });
  const days = Math.max(1, Math.ceil((toUs - fromUs) / DAY_US));
  const bar = new SingleBar({
    format: '  reading  {bar} {value}/{total} reads | {count} {what}',
    hideCursor: true,
    noTTYOutput: true,
  });
  try {
    bar.start(days * 2, 0, { count: 0, what: 'inspections' });
    const inspections: Inspection[] = [];
    for (let day = 0; day < days; day += 1) {
      const start = fromUs + day * DAY_US;
      // OQC comes after assembly, so the label of a cell made near `to` may lie a little past it.
      const end = Math.min(toUs, start + DAY_US) + (day === days - 1 ? 3_600_000_000 : 0);
      const rows = await client.query(
        `SELECT ${INSPECTION_COLUMNS} FROM ${TABLES.inspections.name} WHERE ts >= $1 AND ts < $2`,
        [usToIso(epochUs(start)), usToIso(epochUs(end))],
      );
      for (const row of rows) {
        const inspection = inspectionFromRow(row);
        if (inspection) inspections.push(inspection);
      }
      bar.update(day + 1, { count: inspections.length, what: 'inspections' });
    }
    const { cells, skipped } = labelCells(
      inspections.filter((inspection) => inspection.stage !== 'IPQC' || inspection.ts <= toUs),
    );
    const series = new SeriesStore();
    const lines = [...new Set(cells.map((cell) => cell.line))];
    const tags = lines.flatMap((line) => featureTags(DEFAULT_FEATURE_CONFIG, line));
    for (let day = 0; day < days; day += 1) {
      const start = epochUs(fromUs + day * DAY_US - DEFAULT_FEATURE_CONFIG.assemblyWindowMs * 1000);
      const end = epochUs(Math.min(toUs + 3_600_000_000, fromUs + (day + 1) * DAY_US));
      if (tags.length > 0) {
        const { text, params } = samplesQuery(tags, start, end);
        seriesFromRows(
          await client.query<{ ts: number; tag: string; value: number | null }>(text, params),
          series,
        );
      }
      bar.update(days + day + 1, { count: cells.length, what: 'labelled cells' });
    }
    bar.stop();
    const dataset = buildDataset(DEFAULT_FEATURE_CONFIG, cells, series);
    for (const [reason, count] of [...skipped, ...dataset.skipped])
      console.log(`  left out ${count} cells: ${reason}`);
    return dataset;
  } finally {
    bar.stop();
    await client.end();
  }
}

const fmt = (value: number | null, digits = 3) => (value === null ? '  n/a' : value.toFixed(digits));

function reportRow(name: string, evaluation: Evaluation): string {
  return `  ${name.padEnd(20)} ${fmt(evaluation.rocAuc)}   ${fmt(evaluation.prAuc)}   ${fmt(evaluation.brier, 4)}   ${fmt(evaluation.threshold)}   ${fmt(evaluation.precision)}      ${fmt(evaluation.recall)}`;
}

/**
 * Trains the battery-cell risk models on history (QuestDB or a feature CSV), evaluates them on a
 * time-based hold-out, writes each as a versioned artifact and promotes the better one only if it
 * beats the serving model on the same hold-out. services/inference picks a promotion up by itself.
 */
export const trainCommand: Command = {
  name: 'train',
  summary: `train the cell risk model on history and promote it if it beats the current one: ${USAGE}`,
  async run(args) {
    const flags = parseFlags(args, {
      values: ['from', 'to', 'csv', 'kind', 'holdout', 'max-epochs', 'model-dir', 'export-csv'],
      switches: ['no-promote'],
    });
    const csv = flags.get('csv');
    if ((typeof csv === 'string') === (flags.has('from') || flags.has('to')))
      throw new UsageError(`give --from and --to, or --csv: ${USAGE}`);
    const kindFlag = flags.get('kind') ?? 'both';
    if (kindFlag !== 'mlp' && kindFlag !== 'logistic' && kindFlag !== 'both')
      throw new UsageError(`--kind must be mlp, logistic or both`);
    const kinds: ModelKind[] = kindFlag === 'both' ? ['logistic', 'mlp'] : [kindFlag];
    const holdout = fraction(flags, 'holdout', 0.2);
    const maxEpochs = Number(flags.get('max-epochs') ?? 60);
    if (!Number.isInteger(maxEpochs) || maxEpochs < 1)
      throw new UsageError('--max-epochs must be a positive integer');

    const { config } = commandContext('train');
    const dir =
      typeof flags.get('model-dir') === 'string'
        ? (flags.get('model-dir') as string)
        : modelDir(config.MILLRACE_DATA_DIR);

    let dataset: Dataset;
    if (typeof csv === 'string') {
      dataset = datasetFromCsv(await readFile(csv, 'utf8'));
      console.log(`[millrace] train on ${csv}`);
    } else {
      const from = instantFlag(flags, 'from');
      const to = instantFlag(flags, 'to');
      if (to <= from) throw new UsageError('--to must be after --from');
      console.log(`[millrace] train on QuestDB history ${usToIso(from)} → ${usToIso(to)}`);
      dataset = await datasetFromQuestDb(config.MILLRACE_QUESTDB_PG_URL, from, to);
    }
    const exportCsv = flags.get('export-csv');
    if (typeof exportCsv === 'string') {
      await writeFile(exportCsv, datasetToCsv(dataset));
      console.log(`[millrace] feature table written to ${exportCsv}`);
    }
    const positives = dataset.labels.reduce((sum, label) => sum + label, 0);
    console.log(
      `[millrace] ${dataset.rows.length} labelled cells, ${positives} failed OQC (${((100 * positives) / Math.max(1, dataset.rows.length)).toFixed(1)} %)`,
    );
    let split;
    try {
      split = timeSplit(dataset, holdout, 0.15);
    } catch (error) {
      if (error instanceof RiskModelError) throw new UsageError(`${error.message}; widen --from/--to`);
      throw error;
    }
    console.log(
      `[millrace] time split: train ${split.train.rows.length}, validation ${split.validation.rows.length}, hold-out ${split.holdout.rows.length} cells from ${usToIso(split.holdout.ts[0]!)}`,
    );

    const now = new Date();
    const trained: ModelArtifact[] = [];
    for (const kind of kinds) {
      const bar = new SingleBar({
        format: `  ${kind.padEnd(8)} {bar} epoch {value}/{total} | validation log-loss {loss}`,
        hideCursor: true,
        noTTYOutput: true,
      });
      bar.start(maxEpochs, 0, { loss: '-' });
      try {
        trained.push(
          await trainModel(split, {
            kind,
            featureConfig: DEFAULT_FEATURE_CONFIG,
            now,
            maxEpochs,
            onEpoch: (epoch, _total, loss) => bar.update(epoch, { loss: loss.toFixed(4) }),
          }),
        );
        bar.update(maxEpochs);
      } finally {
        bar.stop();
      }
    }

    const current = await loadCurrentArtifact(dir).catch((error: unknown) => {
      console.log(
        `[millrace] the current model cannot be loaded (${(error as Error).message}); treating it as absent`,
      );
      return undefined;
    });
    let currentHoldout: Evaluation | undefined;
    if (current) {
      try {
        currentHoldout = evaluateArtifact(current, split.holdout);
      } catch (error) {
        console.log(
          `[millrace] current model ${current.version} cannot score this data: ${(error as Error).message}`,
        );
      }
    }

    console.log('\n  hold-out             ROC AUC PR AUC  Brier    thresh  precision  recall');
    for (const artifact of trained)
      console.log(reportRow(`${artifact.kind} (new)`, artifact.metrics.holdout));
    if (current && currentHoldout) console.log(reportRow(`current ${current.kind}`, currentHoldout));
    // The candidate is chosen on validation, not on the hold-out that then judges it.
    const candidate = trained.reduce((best, artifact) =>
      (artifact.metrics.validation.prAuc ?? -1) > (best.metrics.validation.prAuc ?? -1) ? artifact : best,
    );
    console.log(
      `\n  reliability of ${candidate.version} on the hold-out (predicted vs observed failure rate):`,
    );
    for (const bin of candidate.metrics.holdout.reliability) {
      if (bin.count === 0) continue;
      console.log(
        `    ${bin.from.toFixed(1)}-${bin.to.toFixed(1)}  ${String(bin.count).padStart(6)} cells  ${fmt(bin.meanPredicted)}  vs  ${fmt(bin.observedRate)}`,
      );
    }

    for (const artifact of trained) console.log(`[millrace] wrote ${await saveArtifact(dir, artifact)}`);
    const decision = decidePromotion(candidate.metrics.holdout, currentHoldout);
    if (decision.promote && flags.get('no-promote') !== true) {
      await promote(dir, candidate.version, decision.reason, new Date());
      console.log(`[millrace] promoted ${candidate.version}: ${decision.reason}`);
    } else {
      console.log(
        `[millrace] not promoted${flags.get('no-promote') === true ? ' (--no-promote)' : ''}: ${decision.reason}`,
      );
    }
    return 0;
  },
};
