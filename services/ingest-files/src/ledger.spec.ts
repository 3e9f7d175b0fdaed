import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger, type LedgerEntry } from './ledger.js';

const entry = (checksum: string, line: number, state: LedgerEntry['state'] = 'reading'): LedgerEntry => ({
  checksum: checksum.repeat(64).slice(0, 64),
  path: '/drop/MEAS_1.csv',
  size: 100,
  mtimeMs: 1,
  profile: 'MEAS',
  state,
  line,
  rows: line,
  badRows: 0,
  at: '2025-01-01T00:00:00.000Z',
});

describe('Ledger', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
    dirs.push(dir);
    return dir;
  };

  it('keeps the last entry per file across a reopen', () => {
    const dir = tempDir();
    const ledger = Ledger.open(dir);
    ledger.record(entry('a', 100));
    ledger.record(entry('a', 200));
    ledger.record(entry('b', 5, 'done'));
    ledger.close();
    const reopened = Ledger.open(dir);
    expect(reopened.get(entry('a', 0).checksum)?.line).toBe(200);
    expect(reopened.get(entry('b', 0).checksum)?.state).toBe('done');
    reopened.close();
    // Compacted at open: one line per file.
    expect(readFileSync(join(dir, 'ledger.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('ignores a line torn by a crash mid-append, so the file resumes from the last whole entry', () => {
    const dir = tempDir();
    const ledger = Ledger.open(dir);
    ledger.record(entry('a', 100));
    ledger.close();
    appendFileSync(join(dir, 'ledger.jsonl'), '{"checksum":"aaaa","pa');
    const reopened = Ledger.open(dir);
    expect(reopened.get(entry('a', 0).checksum)?.line).toBe(100);
    reopened.record(entry('a', 300));
    reopened.close();
    expect(Ledger.open(dir).get(entry('a', 0).checksum)?.line).toBe(300);
  });
});
