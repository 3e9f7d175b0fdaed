import { resolve } from 'node:path';
import type { IngestFilesConfig } from '@millrace/config';
import { createKafka, readLatestByKey, TagAnnouncer, type PipelineProducer } from '@millrace/kafka';
import type { Logger } from '@millrace/observability';
import { TOPICS, type FileProgress } from '@millrace/schema';
import { createFileProducer, FileIngestor } from './ingestor.js';
import { Ledger } from './ledger.js';
import { loadProfiles } from './profiles.js';

export const SERVICE_NAME = 'ingest-files';

/** The drop folder: `INGEST_FILES_DROP_DIR`, else the demo plant's `<MILLRACE_DATA_DIR>/drop/pltcm`. */
export function dropDirOf(config: IngestFilesConfig): string {
  return resolve(config.INGEST_FILES_DROP_DIR || resolve(config.MILLRACE_DATA_DIR, 'drop', 'pltcm'));
}

/** The ledger's folder, shared by the service and `millrace backfill` so each knows what the other read. */
export function ledgerDirOf(config: IngestFilesConfig): string {
  return resolve(config.MILLRACE_DATA_DIR, 'ingest-files');
}

export interface IngestRuntime {
  producer: PipelineProducer;
  ledger: Ledger;
  ingestor: FileIngestor;
  /** Connects the producer (which aborts a transaction a crash left open), then reads the committed progress. */
  connect(): Promise<void>;
}

/** Builds the producer, ledger and ingestor from config; the caller connects and closes them. */
export function createRuntime(
  config: IngestFilesConfig,
  logger: Logger,
  role: 'service' | 'backfill' = 'service',
): IngestRuntime {
  const kafka = createKafka({ brokers: config.MILLRACE_KAFKA_BROKERS, clientId: SERVICE_NAME, logger });
  const transactionalId = `${config.INGEST_FILES_TRANSACTIONAL_ID}${role === 'backfill' ? '-backfill' : ''}`;
  const producer = createFileProducer(kafka, SERVICE_NAME, transactionalId);
  const ledger = Ledger.open(ledgerDirOf(config));
  const committed = new Map<string, FileProgress>();
  const announcer = new TagAnnouncer((messages) => producer.send(TOPICS.tags, messages));
  const ingestor = new FileIngestor({
    producer,
    topics: { samples: TOPICS.samples, records: TOPICS.records, progress: TOPICS.fileProgress },
    committed,
    profiles: loadProfiles(config.INGEST_FILES_PROFILES_FILE),
    ledger,
    plantTimeZone: config.MILLRACE_PLANT_TZ,
    logger,
    chunkRows: config.INGEST_FILES_CHUNK_ROWS,
    maxChunkRows: config.INGEST_FILES_MAX_CHUNK_ROWS,
    batchSamples: config.INGEST_FILES_BATCH_SAMPLES,
    retryMaxMs: config.INGEST_FILES_RETRY_MAX_MS,
    onSampleTags: (tags) => {
      const descriptions = tags.map((tag) => ({
        ...tag,
        source: SERVICE_NAME,
        valueType: 'number' as const,
      }));
      // Best effort: metadata is announced again with the next file if Kafka refused it now.
      announcer.announce(descriptions).catch((error: unknown) => {
        logger.warn({ err: error }, 'tag units not announced; trying again with the next file');
      });
    },
  });
  const connect = async () => {
    await producer.connect();
    for (const [checksum, progress] of await readLatestByKey(kafka, TOPICS.fileProgress))
      committed.set(checksum, progress);
  };
  return { producer, ledger, ingestor, connect };
}
