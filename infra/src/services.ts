import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { spawnComponent, stopComponent, type ComponentProcess } from './stack/process.js';
import type { StackAddresses } from './stack/types.js';

/** What a service declares in its package.json under `"millrace"` to be started by `millrace start`. */
const serviceManifestSchema = z.object({
  port: z.number().int().min(1).max(65_535),
  /** Start order: lower first (e.g. the simulator before the ingest services that read it). */
  order: z.number().int().default(50),
  /** Node flags the service runs with, e.g. a heap bound that keeps its RSS inside its budget. */
  nodeOptions: z.array(z.string().startsWith('--')).default([]),
});

export interface ServiceEntry {
  name: string;
  dir: string;
  main: string;
  port: number;
  order: number;
  nodeOptions: string[];
}

/** Every built service under `services/`, in start order. A service without `dist/main.js` is reported, not started. */
export function discoverServices(repoRoot: string, log: (line: string) => void): ServiceEntry[] {
  const servicesDir = join(repoRoot, 'services');
  if (!existsSync(servicesDir)) return [];
  const entries: ServiceEntry[] = [];
  for (const name of readdirSync(servicesDir).sort()) {
    const manifestPath = join(servicesDir, name, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = serviceManifestSchema.safeParse(
      (JSON.parse(readFileSync(manifestPath, 'utf8')) as { millrace?: unknown }).millrace,
    );
    if (!manifest.success) continue; // not a runnable service (no "millrace" section)
    const main = join(servicesDir, name, 'dist', 'main.js');
    if (!existsSync(main)) {
      log(`service ${name}: not built (${main} missing); run npm run build`);
      continue;
    }
    entries.push({ name, dir: join(servicesDir, name), main, ...manifest.data });
  }
  return entries.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

/** The node command line of a service, the same for `millrace start` and for benchmarks. */
export function serviceArgs(service: ServiceEntry): string[] {
  return ['--enable-source-maps', ...service.nodeOptions, service.main];
}

/** The env a service gets: the stack's actual addresses, so every service talks to the same servers. */
export function serviceEnv(
  addresses: StackAddresses,
  dataDir: string,
  base: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  return {
    ...base,
    MILLRACE_DATA_DIR: dataDir,
    MILLRACE_KAFKA_BROKERS: addresses.kafkaBrokers.join(','),
    MILLRACE_QUESTDB_URL: addresses.questdbUrl,
    MILLRACE_QUESTDB_PG_URL: addresses.questdbPgUrl,
    MILLRACE_MQTT_URL: addresses.mqttUrl,
  };
}

export interface SupervisedServices {
  readonly services: readonly ServiceEntry[];
  stop(options?: { force?: boolean }): Promise<void>;
}

const RESTART_MAX_DELAY_MS = 30_000;

/**
 * Runs each service as a child process with its output in `<data>/logs/<service>.log`, and restarts
 * one that exits on its own with a growing delay, so a crash is visible in the log but does not take
 * the demo plant down.
 */
export async function superviseServices(options: {
  services: readonly ServiceEntry[];
  env: NodeJS.ProcessEnv;
  dataDir: string;
  log: (line: string) => void;
}): Promise<SupervisedServices> {
  const logsDir = join(options.dataDir, 'logs');
  const runDir = join(options.dataDir, 'run');
  mkdirSync(logsDir, { recursive: true });
  mkdirSync(runDir, { recursive: true });
  const running = new Map<string, ComponentProcess<string>>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;

  async function start(service: ServiceEntry, failures: number): Promise<void> {
    const proc = await spawnComponent({
      component: service.name,
      command: process.execPath,
      args: serviceArgs(service),
      env: options.env,
      cwd: service.dir,
      logFile: join(logsDir, `${service.name}.log`),
      pidFile: join(runDir, `${service.name}.pid`),
    });
    running.set(service.name, proc);
    const startedAt = Date.now();
    void proc.exited.then((info) => {
      running.delete(service.name);
      if (stopping) return;
      const stable = Date.now() - startedAt > 60_000;
      const next = stable ? 0 : failures + 1;
      const delayMs = Math.min(RESTART_MAX_DELAY_MS, 1_000 * 2 ** next);
      options.log(
        `service ${service.name} exited (code ${info.code ?? info.signal}); restarting in ${delayMs / 1000} s; ` +
          `log: ${proc.logFile}`,
      );
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) void start(service, next);
      }, delayMs);
      timers.add(timer);
    });
  }

  for (const service of options.services) await start(service, 0);
  return {
    services: options.services,
    async stop({ force = false } = {}) {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([...running.values()].map((proc) => stopComponent(proc, 10_000, force)));
    },
  };
}
