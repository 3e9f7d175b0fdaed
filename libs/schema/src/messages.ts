import type { EpochUs } from '@millrace/time';
import { z } from 'zod';
import { epochUsSchema, identifierSchema, qualitySchema, sourceSchema } from './primitives.js';
import { tagPathSchema } from './tag-path.js';

const finite = z.number();
const nonNegative = z.number().min(0);

// ---- plant.samples.v1 -------------------------------------------------------------------------

const epochUsArraySchema = z
  .array(z.number().int().min(0).max(4_102_444_800_000_000))
  // Branded as a whole: a per-element transform would cost a call per sample on the hottest path.
  .transform((values) => values as EpochUs[]);

/**
 * One Kafka message carries many samples of one tag, as aligned columns (the uPlot habit): `ts[i]` is
 * the source time of `values[i]`. Keyed by the tag, so a tag's samples keep their order on one
 * partition; Kafka's per-message cost is paid once per batch, and columns are less than half the bytes
 * of one object per sample and twice as fast to parse. A batch holds values of one type.
 */
export const sampleBatchSchema = z
  .object({
    tag: tagPathSchema,
    source: sourceSchema,
    /** When the ingest service received the batch. */
    ingestTs: epochUsSchema,
    /** Source timestamps (when the machine measured), microseconds. */
    ts: epochUsArraySchema.refine(
      (ts) => ts.length >= 1 && ts.length <= 10_000,
      'a batch holds 1 to 10000 samples',
    ),
    values: z.union([z.array(z.number()), z.array(z.boolean()), z.array(z.string().max(4096))], {
      error: 'values must be all numbers, all booleans or all strings',
    }),
    /** Per-sample quality; absent means every sample is good. */
    quality: z.array(qualitySchema).optional(),
  })
  .superRefine((batch, context) => {
    if (batch.values.length !== batch.ts.length) {
      context.addIssue({
        code: 'custom',
        path: ['values'],
        message: `has ${batch.values.length} values for ${batch.ts.length} timestamps`,
      });
    }
    if (batch.quality !== undefined && batch.quality.length !== batch.ts.length) {
      context.addIssue({
        code: 'custom',
        path: ['quality'],
        message: `has ${batch.quality.length} entries for ${batch.ts.length} timestamps`,
      });
    }
  });
export type SampleBatch = z.infer<typeof sampleBatchSchema>;

// ---- plant.tags.v1 (compacted catalog) --------------------------------------------------------

export const tagMetaSchema = z.object({
  tag: tagPathSchema,
  ts: epochUsSchema,
  source: sourceSchema,
  valueType: z.enum(['number', 'boolean', 'string']),
  unit: z.string().max(32).optional(),
  description: z.string().max(512).optional(),
  /** Samples further apart than this are drawn as a gap, not joined by a line. */
  expectedPeriodMs: z.number().int().positive().optional(),
});
export type TagMeta = z.infer<typeof tagMetaSchema>;

// ---- plant.records.v1 -------------------------------------------------------------------------

const recordBase = {
  line: identifierSchema,
  coilId: identifierSchema,
  ts: epochUsSchema,
  source: sourceSchema,
};
/** Named process values of one record, e.g. `{ ThermalCrown_G1: 12.5 }`; names as the machine writes them. */
const recordValues = z.record(z.string().min(1).max(64), finite);

export const coilRecordSchema = z.object({
  kind: z.literal('coil'),
  ...recordBase,
  /** `ts` is the coil's start at the line's entry; `endTs` its end at the exit coiler. */
  endTs: epochUsSchema,
  alloyCode: identifierSchema,
  entryWidthMm: nonNegative,
  entryThicknessMm: nonNegative.optional(),
  exitThicknessMm: nonNegative,
  weightKg: nonNegative,
});
export const coilerRecordSchema = z.object({
  kind: z.literal('coiler'),
  ...recordBase,
  values: recordValues,
});
export const stripRecordSchema = z.object({ kind: z.literal('strip'), ...recordBase, values: recordValues });
export const setupRecordSchema = z.object({
  kind: z.literal('setup'),
  ...recordBase,
  /** Mill stand 1-5; absent for line-wide setup values. */
  stand: z.number().int().min(1).max(12).optional(),
  values: recordValues,
});
export const segmentRecordSchema = z.object({
  kind: z.literal('segment'),
  ...recordBase,
  /** Measurement point, MP00 to MP10. */
  mp: z.string().regex(/^MP\d{2}$/),
  segment: z.number().int().min(0),
  values: recordValues,
});

export const plantRecordSchema = z.discriminatedUnion('kind', [
  coilRecordSchema,
  coilerRecordSchema,
  stripRecordSchema,
  setupRecordSchema,
  segmentRecordSchema,
]);
export type PlantRecord = z.infer<typeof plantRecordSchema>;
export type CoilRecord = z.infer<typeof coilRecordSchema>;

// ---- quality.inspections.v1 -------------------------------------------------------------------

export const inspectionStageSchema = z.enum(['IPQC', 'FQC', 'OQC']);
export type InspectionStage = z.infer<typeof inspectionStageSchema>;

/** Per-cell measurements; each stage measures a subset, so all are optional here and checked by the model. */
export const cellMeasurementsSchema = z.object({
  weightG: finite.optional(),
  thicknessMm: finite.optional(),
  ocvV: finite.optional(),
  acirMOhm: finite.optional(),
  capacityAh: finite.optional(),
  selfDischargeMvPerDay: finite.optional(),
  weldStrengthN: finite.optional(),
  insulationResistanceMOhm: finite.optional(),
});
export type CellMeasurements = z.infer<typeof cellMeasurementsSchema>;

export const inspectionSchema = z.object({
  cellId: identifierSchema,
  orderId: identifierSchema,
  line: identifierSchema,
  stage: inspectionStageSchema,
  station: identifierSchema.optional(),
  ts: epochUsSchema,
  measurements: cellMeasurementsSchema,
  /** The stage's own pass/fail verdict, where it gives one. */
  verdict: z.enum(['pass', 'fail']).optional(),
});
export type Inspection = z.infer<typeof inspectionSchema>;

// ---- quality.risk.v1 --------------------------------------------------------------------------

export const RISK_RECOMMENDATIONS = {
  high: 'short-term testing recommended',
  low: 'safe for all usage',
  unknown: 'not scored: see reason',
} as const;

export const riskReasonSchema = z.object({
  feature: z.string().min(1).max(64),
  value: finite.nullable(),
  /** Signed contribution to the log-odds of high risk. */
  contribution: finite,
});

export const riskEventSchema = z.object({
  cellId: identifierSchema,
  orderId: identifierSchema,
  ts: epochUsSchema,
  modelVersion: identifierSchema,
  riskClass: z.enum(['high', 'low', 'unknown']),
  /** Absent when the cell could not be scored: a missing score is never invented. */
  probability: z.number().min(0).max(1).nullable(),
  recommendation: z.string().min(1).max(256),
  reasons: z.array(riskReasonSchema).max(16),
  unknownReason: z.string().max(512).optional(),
});
export type RiskEvent = z.infer<typeof riskEventSchema>;

// ---- mes.orders.v1 ----------------------------------------------------------------------------

export const orderStateSchema = z.enum(['released', 'running', 'completed', 'aborted']);
export type OrderState = z.infer<typeof orderStateSchema>;

export const productionOrderSchema = z.object({
  orderId: identifierSchema,
  line: identifierSchema,
  product: z.string().min(1).max(256),
  quantity: z.number().int().positive(),
  state: orderStateSchema,
  /** When the order entered `state`. */
  ts: epochUsSchema,
  releasedAt: epochUsSchema.optional(),
  startedAt: epochUsSchema.optional(),
  endedAt: epochUsSchema.optional(),
});
export type ProductionOrder = z.infer<typeof productionOrderSchema>;

// ---- machine.commands.v1 and machine.command-results.v1 ----------------------------------------

export const machineCommandSchema = z.object({
  commandId: z.uuid(),
  ts: epochUsSchema,
  machine: identifierSchema,
  setpoint: identifierSchema,
  value: finite,
  unit: z.string().max(32).optional(),
  reason: z.string().min(1).max(1024),
  issuedBy: z.object({ kind: z.enum(['model', 'rule', 'user']), id: identifierSchema }),
  modelVersion: identifierSchema.optional(),
  dryRun: z.boolean().default(false),
});
export type MachineCommand = z.infer<typeof machineCommandSchema>;

export const commandResultSchema = z.object({
  commandId: z.uuid(),
  ts: epochUsSchema,
  machine: identifierSchema,
  setpoint: identifierSchema,
  result: z.enum(['accepted', 'rejected', 'failed']),
  detail: z.string().max(1024),
  appliedValue: finite.optional(),
});
export type CommandResult = z.infer<typeof commandResultSchema>;

// ---- dead letters ------------------------------------------------------------------------------

/** What a dead-letter topic holds: the original bytes untouched, where they came from, and why. */
export const deadLetterSchema = z.object({
  originalTopic: z.string().min(1),
  partition: z.number().int().min(0).optional(),
  offset: z.string().regex(/^\d+$/).optional(),
  /** Base64 of the original key, null when it had none. */
  key: z.string().nullable(),
  /** Base64 of the original value bytes. */
  value: z.string(),
  headers: z.record(z.string(), z.string()).default({}),
  reason: z.string().min(1).max(4096),
  /** Which service refused it, and where in a file it stood when it came from one. */
  service: identifierSchema,
  location: z.string().max(1024).optional(),
  ts: epochUsSchema,
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

// ---- ingest.files.progress.v1 ------------------------------------------------------------------

/**
 * How far ingest-files got in one file, committed in the same Kafka transaction as the chunk's rows:
 * after a crash the file resumes right after the last committed row, and no row is sent twice.
 */
export const fileProgressSchema = z.object({
  checksum: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex'),
  path: z.string().min(1).max(4096),
  state: z.enum(['reading', 'done']),
  line: z.number().int().min(0),
  rows: z.number().int().min(0),
  badRows: z.number().int().min(0),
  ts: epochUsSchema,
});
export type FileProgress = z.infer<typeof fileProgressSchema>;
