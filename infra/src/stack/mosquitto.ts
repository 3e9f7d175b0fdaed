import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { StackError, indent } from './errors.js';
import { spawnComponent, type ComponentProcess } from './process.js';

export interface MosquittoConfig {
  host: string;
  port: number;
  /** Absolute directory for the persistence file (mosquitto.db). */
  persistenceDir: string;
  logFile: string;
  /** OS user mosquitto runs as; it drops root privileges to this user. */
  user: string;
}

export function renderMosquittoConf(config: MosquittoConfig): string {
  const dir = config.persistenceDir.endsWith('/') ? config.persistenceDir : `${config.persistenceDir}/`;
  return `${[
    '# Written by the millrace launcher on every start; edits are overwritten.',
    `listener ${config.port} ${config.host}`,
    'allow_anonymous true',
    'persistence true',
    `persistence_location ${dir}`,
    'autosave_interval 60',
    // Mosquitto queues at most 1000 QoS 1 messages per client by default and then drops the rest silently;
    // an ingest that holds its PUBACKs until Kafka has the data would lose samples on any pause longer than
    // a second at the demo plant's rates. The queue is bounded by bytes instead (256 MiB per client).
    'max_queued_messages 0',
    'max_queued_bytes 268435456',
    `user ${config.user}`,
    `log_dest file ${config.logFile}`,
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    'log_timestamp true',
    'log_timestamp_format %Y-%m-%dT%H:%M:%S',
  ].join('\n')}\n`;
}

/** The mosquitto binary on PATH or in the sbin directories Debian installs it to (often not on a user's PATH). */
export function findMosquitto(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [
    ...(env.PATH ?? '').split(delimiter).filter(Boolean),
    '/usr/sbin',
    '/usr/local/sbin',
    '/opt/homebrew/sbin',
  ];
  for (const dir of dirs) {
    const candidate = join(dir, 'mosquitto');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Returns the mosquitto binary, installing the Debian package when running as root and it is missing. */
export async function ensureMosquitto(log: (line: string) => void): Promise<string> {
  const found = findMosquitto();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = findOnPath('apt-get') !== undefined;
  if (!isRoot || !hasApt) {
    throw new StackError(
      'Mosquitto (the MQTT broker) is not installed. Install it with `sudo apt-get install -y mosquitto` ' +
        '(macOS: `brew install mosquitto`), or set MILLRACE_MQTT_URL to use an existing MQTT broker.',
    );
  }
  log('mosquitto: not installed; running apt-get install -y mosquitto');
  let result = await runApt(['install', '-y', '--no-install-recommends', 'mosquitto']);
  if (result.code !== 0) {
    log('mosquitto: apt-get install failed; running apt-get update and retrying');
    const update = await runApt(['update']);
    if (update.code !== 0) {
      throw new StackError(
        `Installing mosquitto failed: apt-get update exited with ${update.code}:\n${indent(tailText(update.output))}`,
      );
    }
    result = await runApt(['install', '-y', '--no-install-recommends', 'mosquitto']);
  }
  if (result.code !== 0) {
    throw new StackError(
      `Installing mosquitto failed (apt-get install -y mosquitto exited with ${result.code}):\n${indent(tailText(result.output))}`,
    );
  }
  const installed = findMosquitto();
  if (!installed)
    throw new StackError(
      'apt-get installed mosquitto, but no mosquitto binary was found in PATH or /usr/sbin.',
    );
  log(`mosquitto: installed ${installed}`);
  return installed;
}

function findOnPath(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/sbin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function runApt(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // Debian's postinst may try to start the packaged service; we run our own process with our own config.
    const child = spawn('apt-get', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-16_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => resolve({ code: -1, output: error.message }));
    child.once('close', (code) => resolve({ code, output }));
  });
}

function tailText(text: string, lines = 20): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Marker strings of our mosquitto's command line, used to recognise a process a killed launcher left behind. */
export function mosquittoMarkers(dataDir: string): string[] {
  return ['mosquitto', join(dataDir, 'mosquitto')];
}

export interface MosquittoLaunch {
  dataDir: string;
  host: string;
  port: number;
  logFile: string;
  pidFile: string;
  log: (line: string) => void;
}

export async function launchMosquitto(launch: MosquittoLaunch, binary: string): Promise<ComponentProcess> {
  const home = join(launch.dataDir, 'mosquitto');
  const persistenceDir = join(home, 'data');
  mkdirSync(persistenceDir, { recursive: true });
  const confFile = join(home, 'mosquitto.conf');
  writeFileSync(
    confFile,
    renderMosquittoConf({
      host: launch.host,
      port: launch.port,
      persistenceDir,
      logFile: launch.logFile,
      user: userInfo().username,
    }),
  );
  return spawnComponent({
    component: 'mosquitto',
    command: binary,
    args: ['-c', confFile],
    cwd: home,
    logFile: launch.logFile,
    pidFile: launch.pidFile,
  });
}
