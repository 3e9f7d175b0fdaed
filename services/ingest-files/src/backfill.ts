#!/usr/bin/env node
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, ingestFilesConfigSchema, loadConfig } from '@millrace/config';
import { createLogger } from '@millrace/observability';
import cliProgress from 'cli-progress';
import type { FileIngestor } from './ingestor.js';
import { createRuntime, SERVICE_NAME } from './runtime.js';

/**
 * `millrace backfill <dir>`: reads a whole archive of flat files (recursively) through the same
 * profiles and ledger as the service, so files the service already read are skipped and an
 * interrupted backfill resumes where it stopped. Files matching no profile are listed, not moved:
 * an archive is the operator's, not a drop folder.
 */
export async function backfill(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const config = loadConfig(ingestFilesConfigSchema, { env });
  const logger = createLogger(
    `${SERVICE_NAME}-backfill`,
    config.MILLRACE_LOG_LEVEL === 'info' ? 'warn' : config.MILLRACE_LOG_LEVEL,
  );
  const runtime = createRuntime(config, logger, 'backfill');
  const all = await listFiles(resolve(dir));
  const files = all.filter((file) => runtime.ingestor.profileOf(file.name) !== undefined);
  const unmatched = all.filter((file) => runtime.ingestor.profileOf(file.name) === undefined);
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  console.log(
    `[millrace] backfill ${dir}: ${files.length} file(s), ${(totalBytes / 1e6).toFixed(1)} MB; ${unmatched.length} matching no profile`,
  );

  await runtime.connect();
  const bar = new cliProgress.SingleBar(
    {
      format:
        ' {bar} {percentage}% | {value}/{total} MB | {rows} rows | {rowsPerS} rows/s | {mbPerS} MB/s | {file}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(round(totalBytes / 1e6), 0, { rows: 0, rowsPerS: 0, mbPerS: 0, file: '' });
  const started = Date.now();
  let doneBytes = 0;
  let rows = 0;
  const rejected: string[] = [];
  let duplicates = 0;
  let badRows = 0;
  try {
    for (const file of files) {
      const outcome = await ingestOne(runtime.ingestor, file.path, (bytesRead, fileRows) => {
        const seconds = Math.max(0.001, (Date.now() - started) / 1000);
        const bytes = doneBytes + bytesRead;
        bar.update(round(bytes / 1e6), {
          rows: rows + fileRows,
          rowsPerS: Math.round((rows + fileRows) / seconds),
          mbPerS: round(bytes / 1e6 / seconds),
          file: file.name,
        });
      });
      doneBytes += file.size;
      if (outcome.status === 'ingested') {
        rows += outcome.rows;
        badRows += outcome.badRows;
      } else if (outcome.status === 'duplicate') {
        duplicates += 1;
      } else {
        rejected.push(`${file.path}: ${outcome.reason}`);
      }
      bar.update(round(doneBytes / 1e6), { rows, file: file.name });
    }
  } finally {
    bar.stop();
    await runtime.producer.disconnect().catch(() => undefined);
    runtime.ledger.close();
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `[millrace] backfill done in ${seconds.toFixed(1)} s: ${rows} rows, ${badRows} bad rows (on the DLQ), ` +
      `${duplicates} file(s) already read, ${rejected.length} rejected` +
      rejected.map((line) => `\n  rejected ${line}`).join('') +
      (unmatched.length > 0
        ? `\n  matching no profile: ${unmatched.map((file) => file.path).join(', ')}`
        : ''),
  );
  return rejected.length > 0 ? 1 : 0;
}

type Outcome = Awaited<ReturnType<FileIngestor['ingest']>>;

function ingestOne(
  ingestor: FileIngestor,
  path: string,
  progress: (bytes: number, rows: number) => void,
): Promise<Outcome> {
  return ingestor.ingest(path, { onProgress: ({ bytesRead, rows }) => progress(bytesRead, rows) });
}

async function listFiles(dir: string): Promise<{ path: string; name: string; size: number }[]> {
  const out: { path: string; name: string; size: number }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push({ path, name: entry.name, size: (await stat(path)).size });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

const round = (value: number) => Math.round(value * 10) / 10;

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href) {
  const [dir, ...rest] = process.argv.slice(2);
  if (dir === undefined || rest.length > 0) {
    console.error('Usage: millrace backfill <dir>');
    process.exit(2);
  }
  backfill(dir).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(
        `millrace backfill: ${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}`,
      );
      process.exit(1);
    },
  );
}
