// Runs the built ingestion core on one file in its own process, so a test can SIGKILL it mid-file.
// Usage: node ingest-child.mjs <file>; JSON options in INGEST_CHILD_OPTIONS
// ({ brokers, samplesTopic, recordsTopic, progressTopic, transactionalId, ledgerDir, chunkRows, maxChunkRows }).
import { DEFAULT_PROFILES } from '@millrace/file-profiles';
import { createKafka, readLatestByKey } from '@millrace/kafka';
import { createLogger } from '@millrace/observability';
import { TOPICS } from '@millrace/schema';
import { createFileProducer, FileIngestor } from '../../dist/ingestor.js';
import { Ledger } from '../../dist/ledger.js';

const options = JSON.parse(process.env.INGEST_CHILD_OPTIONS ?? '{}');
const logger = createLogger('ingest-child', 'warn');
const kafka = createKafka({ brokers: options.brokers, clientId: 'ingest-child', logger });
const producer = createFileProducer(kafka, 'ingest-child', options.transactionalId);
await producer.connect();
const progress = { ...TOPICS.fileProgress, name: options.progressTopic };
const committed = await readLatestByKey(kafka, progress);
const ledger = Ledger.open(options.ledgerDir);
const ingestor = new FileIngestor({
  producer,
  topics: {
    samples: { ...TOPICS.samples, name: options.samplesTopic },
    records: { ...TOPICS.records, name: options.recordsTopic },
    progress,
  },
  committed,
  profiles: DEFAULT_PROFILES,
  ledger,
  plantTimeZone: 'Europe/Berlin',
  logger,
  chunkRows: options.chunkRows,
  maxChunkRows: options.maxChunkRows,
});
const outcome = await ingestor.ingest(process.argv[2]);
process.stdout.write(`${JSON.stringify(outcome)}\n`);
await producer.disconnect();
ledger.close();
