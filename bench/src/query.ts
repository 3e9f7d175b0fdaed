// bench/query (issue: Query API). Loads 1 Hz data straight by ILP into a fresh stack, lets the rollup views
// catch up, starts query-api as `millrace start` does, and measures over HTTP: one tag over a year at width
// 2000 beside SAMPLE BY over raw for the same picture, and 100 tags over 24 h at width 1500.
// Run after `npm run build`: node bench/dist/query.js   (BENCH_QUERY_DAYS=30 for a shorter year)
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { decodeSeriesBinary, SERIES_BINARY_TYPE } from '@millrace/dashboards';
import { seededRandom } from '@millrace/plant-sim';
import { IlpWriter, QueryClient } from '@millrace/questdb';
import { ALL_VIEWS, TABLES } from '@millrace/schema';
import { epochUs, usToIso, type EpochUs } from '@millrace/time';
import { discoverServices, serviceArgs, serviceEnv } from '@millrace/infra';
import { benchPorts, figure, percentile, quiet, repoRoot, startBenchStack } from './common.js';

const DAYS = Number(process.env.BENCH_QUERY_DAYS ?? 365);
const CHUNK_ROWS = 200_000;
const YEAR_TAG = 'plant1/bench/query/year/value';
const MANY_TAGS = Array.from({ length: 100 }, (_, i) => `plant1/bench/query/cell${i}/value`);
const YEAR_WIDTH = 2_000;
const MANY_WIDTH = 1_500;
const MANY_WARMUPS = 3;
const YEAR_RUNS = 30;
const MANY_RUNS = 20;
const SECOND_US = 1_000_000;
const DAY_S = 86_400;
/** Own ports: clear of the dev stack, the test stack and the other benches. */
const PORTS = benchPorts(49);
/** Zooms a user pulls up on a year of history; each run takes one at a random place in the year. */
const ZOOMS_S = [
  { name: 'whole range', seconds: DAYS * DAY_S },
  { name: '30 d', seconds: 30 * DAY_S },
  { name: '7 d', seconds: 7 * DAY_S },
  { name: '1 d', seconds: DAY_S },
  { name: '1 h', seconds: 3_600 },
].filter((zoom) => zoom.seconds <= DAYS * DAY_S);
/**
 * Each zoom reads another tier by another path (raw grouped in QuestDB, or rollup buckets merged in
 * Node): two warm-up requests at every zoom, so the figure is the server's steady state and not the
 * first calls into code V8 has not compiled yet (which alone moved the pooled p95 from ~10 to ~20 ms).
 */
const YEAR_WARMUPS = 2 * ZOOMS_S.length;

/** A process value: a daily cycle, noise and a rare spike, which M4 must keep and an average would hide. */
function signal(next: () => number, second: number, offset: number): number {
  const spike = next() < 0.0001 ? 50 : 0;
  return offset + 20 * Math.sin((2 * Math.PI * second) / DAY_S) + next() * 2 + spike;
}

/**
 * Writes `tags` × `seconds` of 1 Hz samples from `startUs`, time-ordered in ~{@link CHUNK_ROWS}-row requests
 * (encoding the next chunk while the previous one is in flight), so memory stays small whatever the size.
 */
async function load(
  writer: IlpWriter,
  tags: readonly string[],
  startUs: EpochUs,
  seconds: number,
  seed: number,
): Promise<number> {
  const encoder = writer.encoderFor(TABLES.samples);
  const next = seededRandom(seed);
  const secondsPerChunk = Math.max(1, Math.floor(CHUNK_ROWS / tags.length));
  const ingestTs = epochUs(Date.now() * 1_000);
  let inFlight: Promise<number> = Promise.resolve(0);
  let rows = 0;
  for (let chunkStart = 0; chunkStart < seconds; chunkStart += secondsPerChunk) {
    const count = Math.min(secondsPerChunk, seconds - chunkStart);
    const ts = Array.from({ length: count }, (_, i) => startUs + (chunkStart + i) * SECOND_US);
    let lines = '';
    for (const [index, tag] of tags.entries()) {
      const values = ts.map((_, i) => signal(next, chunkStart + i, index * 10));
      lines += encoder.encodeColumns({ tag, quality: 'good', source: 'bench', ingest_ts: ingestTs }, ts, {
        value: values,
      }).text;
    }
    await inFlight;
    inFlight = writer.writeTable({ table: TABLES.samples, lines, count: count * tags.length });
    rows += count * tags.length;
  }
  await inFlight;
  return rows;
}

/** Waits until what was written is queryable in raw and in every rollup tier. */
async function settle(query: QueryClient): Promise<void> {
  await query.waitForWalApplied(TABLES.samples.name, 1_800_000);
  for (const view of ALL_VIEWS) await query.waitForViewRefreshed(view.name, 1_800_000);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function timed(run: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

function load1(): string {
  return `load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`;
}

async function main(): Promise<void> {
  console.log(
    `bench/query: ${DAYS} d × 1 tag and 24 h × ${MANY_TAGS.length} tags at 1 Hz; ${load1()} (2-core machine)`,
  );
  const stack = await startBenchStack('query', PORTS);
  const { addresses } = stack;
  const query = new QueryClient({ pgUrl: addresses.questdbPgUrl });
  // Data ends at the last whole hour before now, so `now-…` ranges and the catalog's look-back see it.
  const endUs = epochUs(Math.floor(Date.now() / 3_600_000) * 3_600 * SECOND_US);
  const yearStartUs = epochUs(endUs - DAYS * DAY_S * SECOND_US);
  const dayStartUs = epochUs(endUs - DAY_S * SECOND_US);
  try {
    // The client aborts a whole request (retries included) after retry_timeout, and a 200k-row request on a
    // busy machine takes seconds; a retried chunk is harmless (samples dedups on ts, tag).
    const writer = await IlpWriter.connect({
      httpUrl: addresses.questdbUrl,
      retryTimeoutMs: 120_000,
      requestTimeoutMs: 60_000,
    });
    let t0 = performance.now();
    const yearRows = await load(writer, [YEAR_TAG], yearStartUs, DAYS * DAY_S, 1);
    const yearWriteS = (performance.now() - t0) / 1000;
    await settle(query);
    const yearSettledS = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const manyRows = await load(writer, MANY_TAGS, dayStartUs, DAY_S, 2);
    const manyWriteS = (performance.now() - t0) / 1000;
    await settle(query);
    const manySettledS = (performance.now() - t0) / 1000;
    await writer.close();
    const counted = await query.count(TABLES.samples.name);
    if (counted !== yearRows + manyRows)
      throw new Error(`samples holds ${counted} rows, expected ${yearRows + manyRows}`);
    // Queries are timed on a settled QuestDB, not beside the partition merges the load left behind.
    const questdb = stack.started.find((entry) => entry.component === 'questdb');
    const settledMs = questdb ? await quiet(questdb.pid) : 0;

    const service = discoverServices(repoRoot, () => undefined).find((entry) => entry.name === 'query-api');
    if (!service) throw new Error('query-api is not built: npm run build');
    const port = await freePort();
    // Launched as `millrace start` launches it: same node flags, same env. The default tag limit per
    // request (QUERY_API_MAX_TAGS) is above 100, so the bench leaves the config as it ships.
    const api = spawn(process.execPath, serviceArgs(service), {
      env: {
        ...serviceEnv(addresses, `${repoRoot}.millrace/bench-query`, process.env),
        MILLRACE_LOG_LEVEL: 'warn',
        QUERY_API_PORT: String(port),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exited = new Promise((resolve) => api.once('exit', resolve));
    try {
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      while ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok !== true) {
        if (Date.now() > deadline || api.exitCode !== null) throw new Error('query-api did not become ready');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // As the web app asks (float64 columns) or as JSON; either way decoded to the same arrays.
      const series = async (
        tags: readonly string[],
        fromUs: number,
        toUs: number,
        width: number,
        format: 'binary' | 'json',
      ) => {
        const params = new URLSearchParams(tags.map((tag): [string, string] => ['tag', tag]));
        params.set('from', usToIso(epochUs(fromUs)));
        params.set('to', usToIso(epochUs(toUs)));
        params.set('width', String(width));
        const response = await fetch(`${base}/api/series?${params.toString()}`, {
          headers: { accept: format === 'binary' ? SERIES_BINARY_TYPE : 'application/json' },
        });
        if (!response.ok) throw new Error(`GET /api/series: ${response.status} ${await response.text()}`);
        const answer =
          format === 'binary' ? decodeSeriesBinary(await response.arrayBuffer()) : await response.json();
        return answer as { tier: string; rowsScanned: number; series: unknown[] };
      };
      const sampleBy = async (fromUs: number, toUs: number, width: number) => {
        const strideS = Math.max(1, Math.round((toUs - fromUs) / SECOND_US / width));
        await query.query(
          `SELECT ts, min(value), max(value), first(value), last(value) FROM ${TABLES.samples.name} ` +
            `WHERE tag = $1 AND ts >= $2 AND ts < $3 SAMPLE BY ${strideS}s`,
          [YEAR_TAG, usToIso(epochUs(fromUs)), usToIso(epochUs(toUs))],
        );
      };

      // 1. One tag over the year: zooms cycle, each at a random place, the same ranges for API and raw.
      const place = seededRandom(3);
      const ranges = Array.from({ length: YEAR_WARMUPS + YEAR_RUNS }, (_, run) => {
        const zoom = ZOOMS_S[run % ZOOMS_S.length]!;
        const slack = DAYS * DAY_S - zoom.seconds;
        const fromUs = yearStartUs + Math.floor(place() * slack) * SECOND_US;
        return { zoom: zoom.name, fromUs, toUs: fromUs + zoom.seconds * SECOND_US };
      });
      const apiMs: number[] = [];
      const jsonMs: number[] = [];
      const rawMs: number[] = [];
      const byZoom = new Map<string, { api: number[]; raw: number[]; tier: string; rows: number }>();
      for (const [run, range] of ranges.entries()) {
        let answer: Awaited<ReturnType<typeof series>> | undefined;
        const apiTook = await timed(async () => {
          answer = await series([YEAR_TAG], range.fromUs, range.toUs, YEAR_WIDTH, 'binary');
        });
        const jsonTook = await timed(async () => {
          await series([YEAR_TAG], range.fromUs, range.toUs, YEAR_WIDTH, 'json');
        });
        const rawTook = await timed(() => sampleBy(range.fromUs, range.toUs, YEAR_WIDTH));
        if (run < YEAR_WARMUPS) continue;
        apiMs.push(apiTook);
        jsonMs.push(jsonTook);
        rawMs.push(rawTook);
        const zoom = byZoom.get(range.zoom) ?? { api: [], raw: [], tier: '', rows: 0 };
        zoom.api.push(apiTook);
        zoom.raw.push(rawTook);
        zoom.tier = answer?.tier ?? '';
        zoom.rows = Math.max(zoom.rows, answer?.rowsScanned ?? 0);
        byZoom.set(range.zoom, zoom);
      }
      const yearApiLoad = load1();

      // 2. 100 tags over the last 24 h, as a dashboard of trends asks for them.
      const manyMs: number[] = [];
      const manyJsonMs: number[] = [];
      let manyTier = '';
      let manyScanned = 0;
      for (let run = 0; run < MANY_WARMUPS + MANY_RUNS; run += 1) {
        let answer: Awaited<ReturnType<typeof series>> | undefined;
        const took = await timed(async () => {
          answer = await series(MANY_TAGS, dayStartUs, endUs, MANY_WIDTH, 'binary');
        });
        if (answer?.series.length !== MANY_TAGS.length)
          throw new Error(`expected ${MANY_TAGS.length} series, got ${answer?.series.length}`);
        manyTier = answer.tier;
        manyScanned = answer.rowsScanned;
        const jsonTook = await timed(async () => {
          await series(MANY_TAGS, dayStartUs, endUs, MANY_WIDTH, 'json');
        });
        if (run >= MANY_WARMUPS) {
          manyMs.push(took);
          manyJsonMs.push(jsonTook);
        }
      }
      const manyLoad = load1();

      console.log('');
      figure(`load ${DAYS} d × 1 tag by ILP (write)`, yearWriteS, 's', 'information');
      figure('  rows/s written', yearRows / yearWriteS, 'rows/s', 'information');
      figure('  until raw and rollups queryable', yearSettledS, 's', 'information');
      figure(`load 24 h × ${MANY_TAGS.length} tags by ILP (write)`, manyWriteS, 's', 'information');
      figure('  rows/s written', manyRows / manyWriteS, 'rows/s', 'information');
      figure('  until raw and rollups queryable', manySettledS, 's', 'information');
      figure('QuestDB quiet (under 5 % of a core for 2 s) after', settledMs / 1000, 's', 'information');
      console.log('');
      console.log(
        `1 tag, ${yearRows.toLocaleString('en-US')} rows (${DAYS} d), width ${YEAR_WIDTH}, ${YEAR_RUNS} runs ` +
          `over zooms ${ZOOMS_S.map((zoom) => zoom.name).join(', ')}; ${yearApiLoad}`,
      );
      // Per zoom (a few runs each, so p95 is about the slowest): where the rollups pay off and where not.
      for (const [name, zoom] of byZoom) {
        const [apiP50, apiP95, rawP50, rawP95] = [
          percentile(zoom.api, 50),
          percentile(zoom.api, 95),
          percentile(zoom.raw, 50),
          percentile(zoom.raw, 95),
        ].map((ms) => ms.toFixed(1));
        console.log(
          `  ${name.padEnd(11)} api p50/p95 ${apiP50}/${apiP95} ms (tier ${zoom.tier}, ` +
            `≤ ${zoom.rows.toLocaleString('en-US')} rows scanned)   raw SAMPLE BY p50/p95 ${rawP50}/${rawP95} ms`,
        );
      }
      figure('GET /api/series 1 tag p50 (binary)', percentile(apiMs, 50), 'ms', 'information');
      figure(
        'GET /api/series 1 tag p95 (binary, as the web app reads it)',
        percentile(apiMs, 95),
        'ms',
        '≤ 50',
      );
      figure('  same ranges as JSON p50', percentile(jsonMs, 50), 'ms', 'information');
      figure('  same ranges as JSON p95', percentile(jsonMs, 95), 'ms', 'information');
      figure('SAMPLE BY over raw, same pictures p50', percentile(rawMs, 50), 'ms', 'information');
      figure('SAMPLE BY over raw, same pictures p95', percentile(rawMs, 95), 'ms', 'information');
      figure('ratio raw SAMPLE BY p95 / api p95', percentile(rawMs, 95) / percentile(apiMs, 95), '×', '≥ 20');
      figure(
        '  same with the JSON answer',
        percentile(rawMs, 95) / percentile(jsonMs, 95),
        '×',
        'information',
      );
      console.log('');
      console.log(
        `${MANY_TAGS.length} tags × 24 h (${manyRows.toLocaleString('en-US')} rows), width ${MANY_WIDTH}, ` +
          `${MANY_RUNS} runs, tier ${manyTier}, ${manyScanned.toLocaleString('en-US')} rows scanned; ${manyLoad}`,
      );
      figure(
        `GET /api/series ${MANY_TAGS.length} tags p50 (binary)`,
        percentile(manyMs, 50),
        'ms',
        'information',
      );
      figure(`GET /api/series ${MANY_TAGS.length} tags p95 (binary)`, percentile(manyMs, 95), 'ms', '≤ 150');
      figure('  same as JSON p50', percentile(manyJsonMs, 50), 'ms', 'information');
      figure('  same as JSON p95', percentile(manyJsonMs, 95), 'ms', 'information');
    } finally {
      api.kill('SIGTERM');
      await exited;
    }
  } finally {
    await query.end();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
