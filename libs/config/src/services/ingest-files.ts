import { z } from 'zod';
import { addressesShape } from '../addresses.js';
import { configField } from '../fields.js';

/** services/ingest-files: a watched drop folder of machine flat files, read by file profiles. */
export const ingestFilesConfigSchema = z.object({
  ...addressesShape,
  INGEST_FILES_PORT: configField.port(8093),
  /** Plant zone of the files' local timestamps (IANA name; a zone with DST on purpose in the demo). */
  MILLRACE_PLANT_TZ: configField.string('Europe/Berlin'),
  /** Watched folder; empty means `<MILLRACE_DATA_DIR>/drop/pltcm`. Read files go to `done/`, unmatched ones to `rejected/`. */
  INGEST_FILES_DROP_DIR: z.string().default(''),
  /** JSON file holding an array of file profiles; empty means the demo plant's six PLTCM profiles. */
  INGEST_FILES_PROFILES_FILE: z.string().default(''),
  /** Full rescan of the drop folder, since fs.watch can miss events (network shares, bursts). */
  INGEST_FILES_RESCAN_INTERVAL_MS: configField.integer(2_000, 100),
  /**
   * Rows of a chunk: a chunk is one Kafka transaction, acknowledged before the ledger records it. A chunk
   * goes out once it has this many rows and the previous one is committed; while that one is still in
   * flight, reading goes on up to INGEST_FILES_MAX_CHUNK_ROWS, so a slow broker gets fewer, larger commits.
   */
  INGEST_FILES_CHUNK_ROWS: configField.integer(20_000, 1, 1_000_000),
  INGEST_FILES_MAX_CHUNK_ROWS: configField.integer(50_000, 1, 1_000_000),
  /** Samples per `plant.samples.v1` message (the schema allows up to 10 000). */
  INGEST_FILES_BATCH_SAMPLES: configField.integer(10_000, 1, 10_000),
  /** Longest wait between retries while Kafka is unreachable. */
  INGEST_FILES_RETRY_MAX_MS: configField.integer(30_000, 100),
  /**
   * Kafka transactional id of this instance (`millrace backfill` appends `-backfill`): unique per running
   * instance, and the same across its restarts, so a restart aborts what a crash left open.
   */
  INGEST_FILES_TRANSACTIONAL_ID: configField.string('millrace-ingest-files'),
});
export type IngestFilesConfig = z.infer<typeof ingestFilesConfigSchema>;
