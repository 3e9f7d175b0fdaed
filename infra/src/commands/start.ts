import { provisionStack } from '../provision.js';
import { startStack } from '../stack/stack.js';
import type { RunningStack } from '../stack/types.js';
import { readStackConfig } from './stack-config.js';
import type { Command } from './types.js';

const log = (line: string) => console.log(`[millrace] ${line}`);

export const startCommand: Command = {
  name: 'start',
  summary: 'start Kafka, QuestDB and Mosquitto locally (or wait for the external ones) and keep them running',
  async run(args) {
    if (args.length > 0) {
      console.error(`millrace start takes no arguments (got ${args.join(' ')}); configure it with MILLRACE_* env vars.`);
      return 2;
    }
    const config = readStackConfig();
    const t0 = Date.now();
    let stack: RunningStack | undefined;
    let interrupted = false;
    let resolveExit: (code: number) => void = () => undefined;
    const exit = new Promise<number>((resolve) => {
      resolveExit = resolve;
    });

    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) {
        log(`${signal} again: killing the servers`);
        void stack?.stop({ force: true });
        return;
      }
      interrupted = true;
      if (!stack) {
        // Start-up is still running; it notices `interrupted` and stops what it started.
        log(`${signal}: will stop once start-up reaches a safe point (again to force)`);
        return;
      }
      log(`${signal}: stopping (press Ctrl-C again to kill)`);
      void stack.stop().then(() => resolveExit(0));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    try {
      stack = await startStack({
        dataDir: config.dataDir,
        cacheDir: config.cacheDir,
        components: config.components,
        log,
      });
      if (!interrupted) await provisionStack(stack.addresses, log);
    } catch (error) {
      await stack?.stop();
      console.error(`[millrace] ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    if (interrupted) {
      await stack.stop();
      return 0;
    }

    const { addresses } = stack;
    const lines = [
      `stack ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      `  Kafka brokers     ${addresses.kafkaBrokers.join(',')}`,
      `  QuestDB console   ${addresses.questdbUrl}`,
      `  QuestDB PG wire   ${addresses.questdbPgUrl}`,
      `  MQTT              ${addresses.mqttUrl}`,
      `  data dir          ${config.dataDir}`,
      ...stack.started.map((proc) => `  ${`${proc.component} log`.padEnd(18)}${proc.logFile} (pid ${proc.pid})`),
      stack.started.length > 0 ? 'press Ctrl-C to stop' : 'all servers are external; press Ctrl-C to exit',
    ];
    for (const line of lines) log(line);
    return exit;
  },
};
