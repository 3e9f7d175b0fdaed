// Runs the ingest-files bench (services/ingest-files/src/bench.ts) after `npm run build`:
//   node bench/ingest-files.mjs [bigMB=100] [dropMB=10] [drops=5]
// With MILLRACE_KAFKA_BROKERS set it uses that Kafka (unique topics, deleted afterwards); otherwise it starts
// a fresh stack of its own, so the figure does not depend on what else runs. The service's config comes from
// the env (INGEST_FILES_CHUNK_ROWS, INGEST_FILES_MAX_CHUNK_ROWS, INGEST_FILES_BATCH_SAMPLES).
import { benchPorts, startBenchStack } from './dist/common.js';

const stack = process.env.MILLRACE_KAFKA_BROKERS
  ? undefined
  : await startBenchStack('ingest-files', benchPorts(59));
if (stack) process.env.MILLRACE_KAFKA_BROKERS = stack.addresses.kafkaBrokers.join(',');
try {
  await import('../services/ingest-files/dist/bench.js');
} finally {
  await stack?.stop();
}
