import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive, stopStaleProcess, tailLog } from './process.js';

describe('tailLog', () => {
  it('returns the last lines written after the offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-tail-'));
    const file = join(dir, 'x.log');
    const before = 'old run\n';
    writeFileSync(file, `${before}${Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n')}\n`);
    const tail = await tailLog(file, Buffer.byteLength(before), 3);
    expect(tail).toBe('line 27\nline 28\nline 29');
    expect(await tailLog(file, Buffer.byteLength(before), 100)).not.toContain('old run');
    expect(await tailLog(join(dir, 'missing.log'))).toBe('(no log output)');
  });
});

describe('stopStaleProcess', () => {
  it('stops a live process whose command line matches, and removes the pid file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-pid-'));
    const child = spawn('sleep', ['1234'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const pidFile = join(dir, 'x.pid');
    writeFileSync(pidFile, `${child.pid}\n`);
    expect(await stopStaleProcess(pidFile, ['sleep', '1234'], 5_000)).toBe(child.pid);
    await exited;
    expect(existsSync(pidFile)).toBe(false);
  });

  it('leaves a process alone when the command line does not match', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-pid-'));
    const child = spawn('sleep', ['1235'], { stdio: 'ignore' });
    const pidFile = join(dir, 'x.pid');
    writeFileSync(pidFile, `${child.pid}\n`);
    try {
      expect(await stopStaleProcess(pidFile, ['kafka.Kafka'], 5_000)).toBeUndefined();
      expect(isProcessAlive(child.pid!)).toBe(true);
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
