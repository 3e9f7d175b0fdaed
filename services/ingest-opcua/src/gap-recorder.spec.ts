import { createLogger } from '@millrace/observability';
import { waitFor } from '@millrace/kafka/testing';
import type { Row } from '@millrace/questdb';
import { TABLES, type TableSpec } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { GapRecorder } from './gap-recorder.js';

const logger = createLogger('gap-recorder-test', 'silent');
const gap = {
  endpoint: 'line1',
  source: 'opcua:opc.tcp://h',
  start: epochUs(1_000_000),
  end: epochUs(5_000_000),
};

describe('GapRecorder', () => {
  it('writes a gap as a row of ingest_gaps and keeps retrying while QuestDB refuses', async () => {
    const written: { table: string; rows: readonly Row[] }[] = [];
    let failures = 2;
    const recorder = new GapRecorder(
      {
        write: async (table: TableSpec, rows: readonly Row[]) => {
          if (failures-- > 0) throw new Error('QuestDB down');
          written.push({ table: table.name, rows });
          return rows.length;
        },
      },
      logger,
      undefined,
    );
    recorder.record(gap);
    await waitFor(() => written.length === 1, 10_000, 'the gap written');
    expect(written[0]).toEqual({
      table: TABLES.ingestGaps.name,
      rows: [{ ts: 1_000_000, endpoint: 'line1', source: 'opcua:opc.tcp://h', end_ts: 5_000_000 }],
    });
    await recorder.stop();
  });
});
