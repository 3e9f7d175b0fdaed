import { LineEncoder, type Row, type TableWrite } from '@millrace/questdb';
import { TABLES, TOPICS, type MessageOf, type SampleBatch, type TopicSpec } from '@millrace/schema';
import {
  commandResultRow,
  commandRow,
  inspectionRow,
  orderRow,
  recordRows,
  riskEventRow,
  type TableRows,
} from './records.js';
import { sampleLines, tagMetaRow, type TagTypes } from './samples.js';

/** What a batch of one topic's messages becomes: rows per table, and the messages refused (by index) with why. */
export interface MappedBatch {
  writes: TableWrite[];
  rejected: { index: number; reason: string }[];
  /** Newest source timestamp among the rows, for freshness (samples only). */
  newestSourceTs?: number;
}

/**
 * How one stored topic lands in QuestDB. The stream processor and `millrace replay --store` both use
 * these, so a replay writes exactly the rows the live pipeline wrote (and dedup makes it a no-op).
 */
export interface StoreMapping<Spec extends TopicSpec = TopicSpec> {
  readonly spec: Spec;
  /** Suffix of the processor's consumer group for this topic. */
  readonly group: string;
  map(values: readonly MessageOf<Spec>[]): MappedBatch;
}

function oneTable<Spec extends TopicSpec>(
  spec: Spec,
  group: string,
  table: TableRows['table'],
  toRow: (value: MessageOf<Spec>) => Row,
): StoreMapping<Spec> {
  return { spec, group, map: (values) => ({ writes: [{ table, rows: values.map(toRow) }], rejected: [] }) };
}

const samplesEncoder = new LineEncoder(TABLES.samples);

/**
 * Samples: a batch whose values do not fit its tag's type is refused whole (it goes to the DLQ with the
 * reason); the batches around it are written. `onAccepted` sees every accepted batch.
 */
function samplesMapping(
  types: TagTypes,
  onAccepted: (batch: SampleBatch) => void,
): StoreMapping<typeof TOPICS.samples> {
  return {
    spec: TOPICS.samples,
    group: 'samples',
    map(values) {
      let lines = '';
      let count = 0;
      const rejected: MappedBatch['rejected'] = [];
      let newestSourceTs = 0;
      values.forEach((batch, index) => {
        const problem = types.check(batch);
        if (problem) {
          rejected.push({ index, reason: `${TOPICS.samples.name}: ${problem}` });
          return;
        }
        const { text, skipped } = sampleLines(batch, samplesEncoder);
        lines += text;
        count += batch.ts.length - skipped;
        onAccepted(batch);
        const last = batch.ts[batch.ts.length - 1];
        if (last !== undefined && last > newestSourceTs) newestSourceTs = last;
      });
      return { writes: [{ table: TABLES.samples, lines, count }], rejected, newestSourceTs };
    },
  };
}

/** Plant records fan out to the coils, coiler, strip, setup and segment tables. */
const recordsMapping: StoreMapping<typeof TOPICS.records> = {
  spec: TOPICS.records,
  group: 'records',
  map(values) {
    const byTable = new Map<string, TableRows>();
    for (const record of values) {
      const { table, rows } = recordRows(record);
      const entry = byTable.get(table.name);
      if (entry) entry.rows.push(...rows);
      else byTable.set(table.name, { table, rows });
    }
    return { writes: [...byTable.values()], rejected: [] };
  },
};

/** Every topic the pipeline stores, with its mapping. The catalog feeds `types`, so a declared type wins. */
export function storeMappings(
  types: TagTypes,
  onAcceptedSamples: (batch: SampleBatch) => void = () => undefined,
): StoreMapping[] {
  const mappings = [
    samplesMapping(types, onAcceptedSamples),
    oneTable(TOPICS.tags, 'tags', TABLES.tags, (meta) => {
      types.declare(meta.tag, meta.valueType);
      return tagMetaRow(meta);
    }),
    recordsMapping,
    oneTable(TOPICS.inspections, 'inspections', TABLES.inspections, inspectionRow),
    oneTable(TOPICS.risk, 'risk', TABLES.riskEvents, riskEventRow),
    oneTable(TOPICS.orders, 'orders', TABLES.orders, orderRow),
    oneTable(TOPICS.commands, 'commands', TABLES.machineCommands, commandRow),
    oneTable(TOPICS.commandResults, 'command-results', TABLES.machineCommands, commandResultRow),
  ];
  // Each mapping is typed by its own topic; as a list they are only ever used through their own spec.
  return mappings as unknown as StoreMapping[];
}
