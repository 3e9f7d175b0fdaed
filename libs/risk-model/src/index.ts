export { RiskModelError } from './errors.js';
export { SeriesStore, type SeriesReader, type WindowStats } from './series.js';
export { WindowCache, windowTagFilter, type WindowCoverage } from './window-cache.js';
export {
  DEFAULT_FEATURE_CONFIG,
  FEATURE_NAMES,
  FEATURES,
  cellWindow,
  extractFeatures,
  featureConfigSchema,
  featureTags,
  machineTag,
  type CellInspections,
  type FeatureConfig,
  type FeatureResult,
  type FeatureSpec,
  type MachineSignal,
  type UnscorableKind,
} from './features.js';
export {
  bestF1Threshold,
  brierScore,
  confusionAt,
  evaluate,
  evaluationSchema,
  prAuc,
  reliabilityTable,
  rocAuc,
  type ConfusionAt,
  type Evaluation,
  type ReliabilityBin,
} from './metrics.js';
export {
  modelArtifactSchema,
  modelKindSchema,
  type DenseLayer,
  type ModelArtifact,
  type ModelKind,
} from './artifact.js';
export { RiskScorer, sigmoid, type Reason, type Score } from './scorer.js';
export {
  buildDataset,
  datasetFromCsv,
  datasetToCsv,
  labelCells,
  timeSplit,
  type Dataset,
  type LabeledCell,
  type Split,
} from './dataset.js';
export {
  evaluateArtifact,
  fitPlatt,
  initTfBackend,
  TfjsScorer,
  trainModel,
  type TrainOptions,
} from './train.js';
export {
  ARTIFACT_FILE,
  CURRENT_FILE,
  decidePromotion,
  loadArtifact,
  loadCurrentArtifact,
  modelDir,
  promote,
  readCurrent,
  saveArtifact,
  type CurrentModel,
  type PromotionDecision,
} from './model-store.js';
export {
  DEFAULT_FEEDBACK_RULES,
  FeedbackEngine,
  boundedStep,
  feedbackRuleSchema,
  feedbackRulesSchema,
  type FeedbackDecision,
  type FeedbackRule,
} from './rules.js';
export { CellAssembler, pairCell, scoreCell, type AssembleOutcome, type ScoredCell } from './cells.js';
export {
  INSPECTION_COLUMNS,
  inspectionFromRow,
  ipqcQuery,
  samplesQuery,
  seriesFromRows,
} from './store-rows.js';
