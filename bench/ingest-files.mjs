// Runs the ingest-files bench (services/ingest-files/src/bench.ts, built to dist):
//   node bench/ingest-files.mjs [bigMB=100] [dropMB=10] [drops=5]
await import('../services/ingest-files/dist/bench.js');
