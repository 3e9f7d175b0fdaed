import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureArtifacts } from './maven.js';
import { spawnComponent, type ComponentProcess } from './process.js';

export interface QuestdbServerConfig {
  host: string;
  httpPort: number;
  pgPort: number;
  ilpPort: number;
}

/** QDB_* environment overrides (they beat server.conf) for a loopback-only QuestDB sized for a small machine. */
export function questdbEnv(config: QuestdbServerConfig): Record<string, string> {
  return {
    QDB_HTTP_BIND_TO: `${config.host}:${config.httpPort}`,
    QDB_PG_NET_BIND_TO: `${config.host}:${config.pgPort}`,
    QDB_LINE_TCP_NET_BIND_TO: `${config.host}:${config.ilpPort}`,
    QDB_HTTP_MIN_ENABLED: 'false',
    QDB_LINE_UDP_ENABLED: 'false',
    QDB_TELEMETRY_ENABLED: 'false',
    QDB_METRICS_ENABLED: 'false',
    // Default pool sizes follow the core count; keep them small so Kafka and the services get CPU too.
    QDB_SHARED_WORKER_COUNT: '2',
    QDB_WAL_APPLY_WORKER_COUNT: '1',
    QDB_MAT_VIEW_REFRESH_WORKER_COUNT: '1',
  };
}

export function questdbJvmArgs(): string[] {
  return [
    '-Xms256m',
    '-Xmx1g',
    '-XX:+UseParallelGC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
  ];
}

/** Marker strings of our QuestDB's command line, used to recognise a process a killed launcher left behind. */
export function questdbMarkers(dataDir: string): string[] {
  return ['io.questdb', join(dataDir, 'questdb')];
}

export interface QuestdbLaunch extends QuestdbServerConfig {
  java: string;
  dataDir: string;
  cacheDir: string;
  logFile: string;
  pidFile: string;
  log: (line: string) => void;
  /** Runs after the download, right before the server starts (e.g. to re-check the ports). */
  beforeSpawn?: () => Promise<void>;
}

export async function launchQuestdb(launch: QuestdbLaunch): Promise<ComponentProcess> {
  const libDir = await ensureArtifacts('questdb', launch.cacheDir, launch.log);
  await launch.beforeSpawn?.();
  const root = join(launch.dataDir, 'questdb');
  mkdirSync(root, { recursive: true });
  return spawnComponent({
    component: 'questdb',
    command: launch.java,
    args: [...questdbJvmArgs(), '-p', libDir, '-m', 'io.questdb/io.questdb.ServerMain', '-d', root],
    cwd: root,
    env: { ...process.env, ...questdbEnv(launch) },
    logFile: launch.logFile,
    pidFile: launch.pidFile,
  });
}

/** True when QuestDB's REST endpoint answers `select 1` with HTTP 200. */
export async function probeQuestdb(url: string): Promise<boolean> {
  const target = new URL('/exec?query=select%201', url);
  const response = await fetch(target, { signal: AbortSignal.timeout(3_000) });
  await response.body?.cancel();
  if (!response.ok)
    throw new Error(`GET ${target.pathname}${target.search} answered HTTP ${response.status}`);
  return true;
}
