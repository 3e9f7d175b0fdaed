import type { QueryClient } from '@millrace/questdb';
import {
  inspectionFromRow,
  ipqcQuery,
  samplesQuery,
  seriesFromRows,
  SeriesStore,
} from '@millrace/risk-model';
import type { Inspection } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';

/**
 * Machine samples of `tags` over `[fromUs, toUs]` from QuestDB `samples`, as series: the windows the
 * in-memory window cache (fed by `plant.samples.v1`) does not hold, i.e. a backlog, the first minutes
 * after a start or a rebalance of the feed, a cell older than the cache's retention. Both hold the samples
 * the stream processor stores, so serving sees what training saw whichever answers.
 */
export async function readSeries(
  client: QueryClient,
  tags: readonly string[],
  fromUs: EpochUs,
  toUs: EpochUs,
): Promise<SeriesStore> {
  if (tags.length === 0) return new SeriesStore();
  const { text, params } = samplesQuery(tags, fromUs, toUs);
  return seriesFromRows(await client.query<{ ts: EpochUs; tag: string; value: number | null }>(text, params));
}

/**
 * IPQC records of cells whose FQC came without one in memory (a restart between the two stages), from
 * the `inspections` table the stream processor fills, searched from `sinceUs`.
 */
export async function readIpqc(
  client: QueryClient,
  cellIds: readonly string[],
  sinceUs: EpochUs,
): Promise<Map<string, Inspection>> {
  const found = new Map<string, Inspection>();
  if (cellIds.length === 0) return found;
  const { text, params } = ipqcQuery(cellIds, sinceUs);
  for (const row of await client.query(text, params)) {
    const inspection = inspectionFromRow(row);
    if (inspection) found.set(inspection.cellId, inspection);
  }
  return found;
}
