import { z } from 'zod';
import { addressesShape } from '../addresses.js';
import { configField } from '../fields.js';

/** services/inference: battery-cell risk scoring and corrective feedback (docs/inference.md). */
export const inferenceConfigSchema = z.object({
  ...addressesShape,
  INFERENCE_PORT: configField.port(8094),
  INFERENCE_GROUP_ID: configField.string('millrace-inference'),
  /** Where `millrace train` writes models and `current.json`; default `<MILLRACE_DATA_DIR>/models/risk`. */
  INFERENCE_MODEL_DIR: z.string().min(1).optional(),
  /** Fallback poll of `current.json` beside the folder watch (fs.watch can miss events on some filesystems). */
  INFERENCE_MODEL_POLL_MS: configField.integer(5_000, 100),
  /** Reasons per risk event (features with the largest contributions). */
  INFERENCE_TOP_REASONS: configField.integer(3, 1, 16),
  /**
   * How long a cell may wait for its machine samples (event time of its FQC against now), in the window
   * cache or in QuestDB. Within it a batch whose windows are incomplete waits; after it the cell is
   * scored with what is there, or 'unknown' if a window is empty.
   */
  INFERENCE_WINDOW_WAIT_MS: configField.integer(30_000, 0),
  /**
   * Machine samples of the feature tags kept in memory from `plant.samples.v1` (data time behind each
   * tag's newest sample), so a live cell is scored without a QuestDB read; it must exceed a cell's
   * assembly-to-FQC time. 0 turns the cache off and every window is read from QuestDB.
   */
  INFERENCE_WINDOW_CACHE_MS: configField.integer(600_000, 0),
  /** Feedback rules as JSON (libs/risk-model `feedbackRulesSchema`); default: the demo line's CAS_01 speed rule. */
  INFERENCE_RULES: configField.json(),
  INFERENCE_RULES_ENABLED: configField.boolean(true),
  /** Cells whose FQC is older than this feed no rule: a backlog is scored, but old data commands nothing. */
  INFERENCE_RULES_MAX_AGE_MS: configField.integer(300_000, 1_000),
  /** Mark commands `dryRun` so the MES bridge checks and audits them without writing to the machine. */
  INFERENCE_COMMANDS_DRY_RUN: configField.boolean(false),
  /** Pending IPQC records kept in memory while their FQC is due; beyond it the oldest are looked up in QuestDB. */
  INFERENCE_MAX_PENDING_CELLS: configField.integer(100_000, 100),
  INFERENCE_PARTITIONS_CONCURRENTLY: configField.integer(3, 1, 64),
});

export type InferenceConfig = Readonly<z.infer<typeof inferenceConfigSchema>>;
