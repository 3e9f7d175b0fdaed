// Runs the ingest-files bench (services/ingest-files/src/bench.ts; build first: npx tsc -b services/ingest-files):
//   node bench/ingest-files.mjs [bigMB=100] [dropMB=10] [drops=5]
// Uses the service's config from the env (MILLRACE_KAFKA_BROKERS, INGEST_FILES_CHUNK_ROWS, INGEST_FILES_BATCH_SAMPLES).
await import('../services/ingest-files/dist/bench.js');
