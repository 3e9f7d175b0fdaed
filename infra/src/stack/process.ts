import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { StackError } from './errors.js';
import type { ComponentName } from './types.js';
import { sleep } from './wait.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** A server process the launcher started; its stdout and stderr go straight to `logFile`. */
export interface ComponentProcess<Name extends string = ComponentName> {
  component: Name;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Size of the log file before this process started: its own output begins here. */
  logOffset: number;
  pidFile: string;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | undefined;
}

export interface SpawnSpec<Name extends string = ComponentName> {
  component: Name;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  pidFile: string;
}

/**
 * Starts a server in its own process group (so a terminal Ctrl-C reaches only the launcher, which then stops
 * the servers in order), appending its output to the log file and recording its pid.
 */
export async function spawnComponent<Name extends string = ComponentName>(
  spec: SpawnSpec<Name>,
): Promise<ComponentProcess<Name>> {
  const logOffset = existsSync(spec.logFile) ? statSync(spec.logFile).size : 0;
  const fd = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    writeSync(
      fd,
      `\n=== millrace: starting ${spec.component} at ${new Date().toISOString()}: ${spec.command} ${spec.args.join(' ')}\n`,
    );
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (error) => {
      // Spawn failures (ENOENT, EACCES) arrive here without an 'exit' event.
      if (child.pid === undefined) {
        info = { code: null, signal: null, error };
        resolve(info);
      }
    });
    child.once('exit', (code, signal) => {
      info = { code, signal };
      resolve(info);
    });
  });
  if (child.pid === undefined) {
    const result = await exited;
    throw new StackError(
      `${spec.component}: cannot run ${spec.command}: ${result.error?.message ?? 'spawn failed'}`,
    );
  }
  writeFileSync(spec.pidFile, `${child.pid}\n`);
  return {
    component: spec.component,
    child,
    pid: child.pid,
    logFile: spec.logFile,
    logOffset,
    pidFile: spec.pidFile,
    exited,
    exitInfo: () => info,
  };
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return `failed to run: ${info.error.message}`;
  if (info.signal) return `was killed by ${info.signal}`;
  return `exited with code ${info.code}`;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. Removes its pid file. */
export async function stopComponent(
  proc: ComponentProcess<string>,
  graceMs = 15_000,
  force = false,
): Promise<void> {
  if (!proc.exitInfo()) {
    signalProcess(proc.pid, force ? 'SIGKILL' : 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      proc.exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      signalProcess(proc.pid, 'SIGKILL');
      await proc.exited;
    }
  }
  removePidFile(proc.pidFile, proc.pid);
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Removes the pid file if it still names `pid` (a newer launcher may have replaced it). */
export function removePidFile(pidFile: string, pid?: number): void {
  try {
    if (pid !== undefined && readPidFile(pidFile) !== pid) return;
    rmSync(pidFile, { force: true });
  } catch {
    // Nothing to remove.
  }
}

export function readPidFile(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when the pid names a running (not zombie) process. */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (after the parenthesised command name) is the state; Z = zombie, X = dead.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

export function processCommandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/**
 * A launcher that was killed with SIGKILL leaves its servers running and holding the ports. When the pid file
 * names a live process whose command line contains every marker (the server's main class and our data dir),
 * stop it (SIGTERM, SIGKILL after `graceMs`). Returns the pid it stopped, if any.
 */
export async function stopStaleProcess(
  pidFile: string,
  markers: readonly string[],
  graceMs = 15_000,
): Promise<number | undefined> {
  const pid = readPidFile(pidFile);
  if (pid === undefined) return undefined;
  const commandLine = pid === process.pid ? undefined : processCommandLine(pid);
  const ours =
    commandLine !== undefined &&
    isProcessAlive(pid) &&
    markers.every((marker) => commandLine.includes(marker));
  if (!ours) {
    removePidFile(pidFile);
    return undefined;
  }
  signalProcess(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isProcessAlive(pid)) {
    signalProcess(pid, 'SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (isProcessAlive(pid) && Date.now() < killDeadline) await sleep(50);
  }
  removePidFile(pidFile);
  return pid;
}

/** The last `lines` lines of a log file from byte `fromOffset` on (what one process wrote). */
export async function tailLog(logFile: string, fromOffset = 0, lines = 20): Promise<string> {
  let handle;
  try {
    handle = await open(logFile, 'r');
  } catch {
    return '(no log output)';
  }
  try {
    const { size } = await handle.stat();
    const maxBytes = 64 * 1024;
    const start = Math.max(fromOffset, size - maxBytes);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer
      .toString('utf8')
      .replace(/\s+$/, '')
      .replace(/^\s*\n/, '');
    if (!text) return '(no log output)';
    return text.split('\n').slice(-lines).join('\n');
  } finally {
    await handle.close();
  }
}
