import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isTemporaryFileName } from '@millrace/file-profiles';
import { isRetriable } from '@millrace/kafka';
import type { Logger } from '@millrace/observability';
import type { FileIngestor, IngestOutcome } from './ingestor.js';

export interface DropFolderOptions {
  dir: string;
  ingestor: FileIngestor;
  logger: Logger;
  rescanIntervalMs: number;
  onOutcome?: (fileName: string, outcome: IngestOutcome) => void;
}

export const DONE_DIR = 'done';
export const REJECTED_DIR = 'rejected';

/**
 * Watches a drop folder and reads each complete file once, in arrival (mtime) order, one at a time.
 * Writers name a file `*.tmp` until it is complete, so only other names are read. fs.watch can miss
 * events, so a periodic rescan backs it up. A file read (or recognised as already read) moves to
 * `done/`, where the operator may delete it; one matching no profile, or one its profile cannot
 * read, moves to `rejected/` next to a `<name>.reason.txt`.
 */
export class DropFolder {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: DropFolderOptions) {}

  async start(): Promise<void> {
    const { dir } = this.options;
    await mkdir(join(dir, DONE_DIR), { recursive: true });
    await mkdir(join(dir, REJECTED_DIR), { recursive: true });
    this.watcher = watch(dir, () => this.schedule());
    this.watcher.on('error', (error) =>
      this.options.logger.warn({ err: error.message, dir }, 'fs.watch failed; relying on rescans'),
    );
    this.timer = setInterval(() => this.schedule(), this.options.rescanIntervalMs);
    this.schedule();
  }

  /** Stops watching; a file being read stops at its next chunk boundary and resumes at the next start. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.abort.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    });
  }

  private async drain(): Promise<void> {
    const { dir, logger } = this.options;
    let files: { name: string; mtimeMs: number }[];
    try {
      const names = (await readdir(dir, { withFileTypes: true }))
        .filter(
          (entry) =>
            entry.isFile() && !isTemporaryFileName(entry.name) && !entry.name.endsWith('.reason.txt'),
        )
        .map((entry) => entry.name);
      files = (
        await Promise.all(
          names.map(async (name) => ({
            name,
            mtimeMs: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs,
          })),
        )
      ).filter((file): file is { name: string; mtimeMs: number } => file.mtimeMs !== undefined);
    } catch (error) {
      logger.warn({ err: (error as Error).message, dir }, 'cannot list the drop folder');
      return;
    }
    files.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
    for (const { name } of files) {
      if (this.abort.signal.aborted) return;
      await this.handle(name);
    }
  }

  private async handle(name: string): Promise<void> {
    const { dir, ingestor, logger } = this.options;
    const path = join(dir, name);
    let outcome: IngestOutcome;
    try {
      outcome = await ingestor.ingest(path, { signal: this.abort.signal });
    } catch (error) {
      if (this.abort.signal.aborted) return;
      // The file stays where it is; the next rescan tries it again.
      logger[isRetriable(error) ? 'warn' : 'error'](
        { file: path, err: (error as Error).message },
        'cannot read file',
      );
      return;
    }
    this.options.onOutcome?.(name, outcome);
    switch (outcome.status) {
      case 'ingested':
        logger.info(
          { file: name, profile: outcome.profile, rows: outcome.rows, badRows: outcome.badRows },
          'file read',
        );
        await this.move(name, DONE_DIR);
        return;
      case 'duplicate':
        logger.info({ file: name, checksum: outcome.checksum }, 'identical file already read; skipped');
        await this.move(name, DONE_DIR);
        return;
      case 'unmatched':
      case 'rejected': {
        logger.warn({ file: name, reason: outcome.reason }, 'file rejected');
        const target = await this.move(name, REJECTED_DIR);
        if (target) await writeFile(`${target}.reason.txt`, `${outcome.reason}\n`, 'utf8');
        return;
      }
    }
  }

  /** Moves a file into a subfolder, never over an earlier file of the same name. */
  private async move(name: string, subdir: string): Promise<string | undefined> {
    const { dir, logger } = this.options;
    let target = join(dir, subdir, name);
    for (let n = 1; await exists(target); n += 1) target = join(dir, subdir, `${name}.${n}`);
    try {
      await rename(join(dir, name), target);
      return target;
    } catch (error) {
      logger.warn({ file: name, err: (error as Error).message }, `cannot move file to ${subdir}/`);
      return undefined;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
