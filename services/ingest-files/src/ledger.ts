import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * One line of the ledger. A file is known by the sha256 of its content, so a re-dropped identical
 * file (any name) is recognised; `line` is the last physical line whose rows are acknowledged by
 * Kafka, where a restart resumes.
 */
export const ledgerEntrySchema = z.object({
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
  path: z.string(),
  size: z.number().int().min(0),
  mtimeMs: z.number(),
  profile: z.string(),
  state: z.enum(['reading', 'done']),
  line: z.number().int().min(0),
  rows: z.number().int().min(0),
  badRows: z.number().int().min(0),
  at: z.string(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

const FILE = 'ledger.jsonl';

/**
 * Append-only JSON-lines ledger under `<MILLRACE_DATA_DIR>/ingest-files/`. Each append is fsynced
 * before the caller goes on; a line torn by a crash is ignored at the next open (its chunk is then
 * re-sent, and QuestDB's DEDUP keys absorb the repeat). Compacted to one line per file at open.
 */
export class Ledger {
  private readonly entries = new Map<string, LedgerEntry>();
  private fd: number;

  private constructor(private readonly path: string) {
    this.fd = -1;
  }

  static open(dir: string): Ledger {
    mkdirSync(dir, { recursive: true });
    const ledger = new Ledger(join(dir, FILE));
    let lines = 0;
    let text = '';
    try {
      text = readFileSync(ledger.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      lines += 1;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        continue; // a line torn by a crash mid-append
      }
      const parsed = ledgerEntrySchema.safeParse(json);
      if (parsed.success) ledger.entries.set(parsed.data.checksum, parsed.data);
    }
    if (lines > ledger.entries.size) ledger.compact();
    ledger.fd = openSync(ledger.path, 'a');
    return ledger;
  }

  get(checksum: string): LedgerEntry | undefined {
    return this.entries.get(checksum);
  }

  /** Appends and fsyncs: when this returns, a restart will see the entry. */
  record(entry: LedgerEntry): void {
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    fsyncSync(this.fd);
    this.entries.set(entry.checksum, entry);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Rewrites the ledger with the last entry per file: temp file, fsync, rename (atomic on POSIX). */
  private compact(): void {
    const temp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      for (const entry of this.entries.values()) writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
  }
}
