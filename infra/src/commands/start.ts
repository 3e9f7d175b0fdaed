import { fileURLToPath } from 'node:url';
import { provisionStack } from '../provision.js';
import { discoverServices, serviceEnv, superviseServices, type SupervisedServices } from '../services.js';
import { startStack } from '../stack/stack.js';
import type { RunningStack } from '../stack/types.js';
import { readStackConfig } from './stack-config.js';
import type { Command } from './types.js';

const log = (line: string) => console.log(`[millrace] ${line}`);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const startCommand: Command = {
  name: 'start',
  summary: 'start Kafka, QuestDB and Mosquitto locally (or wait for external ones) and keep them running',
  async run(args) {
    if (args.length > 0) {
      console.error(
        `millrace start takes no arguments (got ${args.join(' ')}); configure it with MILLRACE_* env vars.`,
      );
      return 2;
    }
    const config = readStackConfig();
    const t0 = Date.now();
    const startup = new AbortController();
    const state: { stack?: RunningStack; services?: SupervisedServices } = {};
    // Services first: they hold connections to the servers and should see them go away last.
    const shutdown = async (force: boolean) => {
      await state.services?.stop({ force });
      await state.stack?.stop({ force });
    };
    let signals = 0;
    let resolveExit: (code: number) => void = () => undefined;
    const exit = new Promise<number>((resolve) => {
      resolveExit = resolve;
    });

    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        if (state.stack) {
          log(`${signal} again: killing the servers`);
          void shutdown(true);
        } else {
          log(
            `${signal} again: exiting now; servers still starting are stopped by the next \`millrace start\``,
          );
          process.exit(130);
        }
        return;
      }
      if (!state.stack) {
        log(`${signal}: interrupting start-up (again to exit at once)`);
        startup.abort();
        return;
      }
      log(`${signal}: stopping (press Ctrl-C again to kill)`);
      void shutdown(false).then(() => resolveExit(0));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    let started: RunningStack;
    try {
      started = await startStack({
        dataDir: config.dataDir,
        cacheDir: config.cacheDir,
        components: config.components,
        log,
        signal: startup.signal,
      });
    } catch (error) {
      console.error(`[millrace] ${error instanceof Error ? error.message : String(error)}`);
      return startup.signal.aborted ? 0 : 1;
    }
    state.stack = started;
    if (startup.signal.aborted) {
      await started.stop();
      return 0;
    }
    try {
      await provisionStack(started.addresses, log);
    } catch (error) {
      console.error(
        `[millrace] provisioning failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      await started.stop();
      return 1;
    }
    if (signals > 0) return exit;

    const { addresses } = started;
    const services = discoverServices(repoRoot, log);
    state.services = await superviseServices({
      services,
      env: serviceEnv(addresses, config.dataDir, process.env),
      dataDir: config.dataDir,
      log,
    });
    if (signals > 0) return exit;
    const lines = [
      `stack ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      `  Kafka brokers     ${addresses.kafkaBrokers.join(',')}`,
      `  QuestDB console   ${addresses.questdbUrl}`,
      `  QuestDB PG wire   ${addresses.questdbPgUrl}`,
      `  MQTT              ${addresses.mqttUrl}`,
      `  data dir          ${config.dataDir}`,
      ...started.started.map(
        (proc) => `  ${`${proc.component} log`.padEnd(18)}${proc.logFile} (pid ${proc.pid})`,
      ),
      ...services.map(
        (service) =>
          `  ${service.name.padEnd(18)}http://127.0.0.1:${service.port} (log ${config.dataDir}/logs/${service.name}.log)`,
      ),
      started.started.length > 0 ? 'press Ctrl-C to stop' : 'all servers are external; press Ctrl-C to exit',
    ];
    for (const line of lines) log(line);
    return exit;
  },
};
