import type { z } from 'zod';
import {
  commandResultSchema,
  deadLetterSchema,
  inspectionSchema,
  machineCommandSchema,
  plantRecordSchema,
  productionOrderSchema,
  riskEventSchema,
  sampleBatchSchema,
  tagMetaSchema,
  fileProgressSchema,
} from './messages.js';

const DAY_MS = 86_400_000;

export type TopicCleanup = { policy: 'delete'; retentionMs: number } | { policy: 'compact' };

/** A Kafka topic: its versioned name, layout, key and message schema. The only place a topic name is written. */
export interface TopicSpec<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly partitions: number;
  /** What the message key is; it decides which messages keep their order. */
  readonly key: string;
  readonly cleanup: TopicCleanup;
  readonly schema: Schema;
  readonly description: string;
}

function topic<Schema extends z.ZodType>(spec: TopicSpec<Schema>): TopicSpec<Schema> {
  return Object.freeze(spec);
}

export const TOPICS = {
  samples: topic({
    name: 'plant.samples.v1',
    partitions: 6,
    key: 'tag path',
    cleanup: { policy: 'delete', retentionMs: 7 * DAY_MS },
    schema: sampleBatchSchema,
    description: 'Batches of samples of one tag from OPC UA, MQTT and flat files.',
  }),
  tags: topic({
    name: 'plant.tags.v1',
    partitions: 1,
    key: 'tag path',
    cleanup: { policy: 'compact' },
    schema: tagMetaSchema,
    description: 'Tag catalog: unit, description, value type, expected period; latest per tag.',
  }),
  records: topic({
    name: 'plant.records.v1',
    partitions: 3,
    key: 'coil id',
    cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
    schema: plantRecordSchema,
    description: 'Coil, coiler, strip, setup and segment records from the line’s flat files.',
  }),
  inspections: topic({
    name: 'quality.inspections.v1',
    partitions: 3,
    key: 'cell id',
    cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
    schema: inspectionSchema,
    description: 'IPQC, FQC and OQC inspection records per battery cell.',
  }),
  risk: topic({
    name: 'quality.risk.v1',
    partitions: 3,
    key: 'cell id',
    cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
    schema: riskEventSchema,
    description: 'Risk scores per cell with reasons and the model version.',
  }),
  orders: topic({
    name: 'mes.orders.v1',
    partitions: 1,
    key: 'order id',
    cleanup: { policy: 'compact' },
    schema: productionOrderSchema,
    description: 'Production orders from the MES and their state changes; latest per order.',
  }),
  commands: topic({
    name: 'machine.commands.v1',
    partitions: 1,
    key: 'machine id',
    cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
    schema: machineCommandSchema,
    description: 'Setpoint changes requested by models, rules or operators.',
  }),
  commandResults: topic({
    name: 'machine.command-results.v1',
    partitions: 1,
    key: 'machine id',
    cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
    schema: commandResultSchema,
    description: 'What became of each machine command: accepted, rejected with a reason, or failed.',
  }),
  fileProgress: topic({
    name: 'ingest.files.progress.v1',
    partitions: 1,
    key: 'file sha256',
    cleanup: { policy: 'compact' },
    schema: fileProgressSchema,
    description: 'ingest-files: the last committed line of each file, in the transaction of its rows.',
  }),
} as const;

export type TopicKey = keyof typeof TOPICS;
export type MessageOf<Spec extends TopicSpec> = z.output<Spec['schema']>;
export type MessageInputOf<Spec extends TopicSpec> = z.input<Spec['schema']>;

const DLQ_SUFFIX = '.dlq';

/** The dead-letter twin of a topic: same name plus `.dlq`, one partition, kept 30 days. */
export function deadLetterTopicOf(spec: TopicSpec): TopicSpec<typeof deadLetterSchema> {
  return topic({
    name: `${spec.name}${DLQ_SUFFIX}`,
    partitions: 1,
    key: spec.key,
    cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
    schema: deadLetterSchema,
    description: `Messages refused on ${spec.name}, with their original bytes and the reason.`,
  });
}

/** Every topic the pipeline uses, dead-letter twins included: what start-up creates. */
export const ALL_TOPICS: readonly TopicSpec[] = Object.freeze(
  Object.values(TOPICS).flatMap((spec: TopicSpec) => [spec, deadLetterTopicOf(spec)]),
);
