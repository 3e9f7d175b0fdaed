import { mkdirSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { indent, StackError } from './errors.js';
import { checkJava } from './java.js';
import { kafkaMarkers, launchKafka, probeKafka, warmUpGroupCoordinator } from './kafka.js';
import { ensureMosquitto, launchMosquitto, mosquittoMarkers } from './mosquitto.js';
import { probeMqtt } from './mqtt.js';
import { assertPortFree } from './ports.js';
import {
  describeExit,
  isProcessAlive,
  processCommandLine,
  readPidFile,
  stopComponent,
  stopStaleProcess,
  tailLog,
  type ComponentProcess,
} from './process.js';
import { launchQuestdb, probeQuestdb, questdbMarkers } from './questdb.js';
import {
  COMPONENTS,
  DEFAULT_PORTS,
  LOCAL_HOST,
  type ComponentName,
  type RunningStack,
  type StackAddresses,
  type StackComponents,
  type StackOptions,
  type StackPorts,
} from './types.js';
import { pollUntil } from './wait.js';

const TITLES: Record<ComponentName, string> = { kafka: 'Kafka', questdb: 'QuestDB', mosquitto: 'Mosquitto' };

const DEFAULT_HINTS: Record<ComponentName, string> = {
  kafka: 'set MILLRACE_KAFKA_BROKERS to use an existing Kafka',
  questdb: 'set MILLRACE_QUESTDB_URL and MILLRACE_QUESTDB_PG_URL to use an existing QuestDB',
  mosquitto: 'set MILLRACE_MQTT_URL to use an existing MQTT broker',
};

/** Files the launcher keeps for one component under the data dir. */
export function componentPaths(
  dataDir: string,
  component: ComponentName,
): { logFile: string; pidFile: string } {
  return {
    logFile: join(dataDir, 'logs', `${component}.log`),
    pidFile: join(dataDir, 'run', `${component}.pid`),
  };
}

function markersOf(component: ComponentName, dataDir: string): string[] {
  if (component === 'kafka') return kafkaMarkers(dataDir);
  if (component === 'questdb') return questdbMarkers(dataDir);
  return mosquittoMarkers(dataDir);
}

/** Components of this data dir whose pid file names a live server process (e.g. another launcher's). */
export function findRunningComponents(dataDir: string): Array<{ component: ComponentName; pid: number }> {
  const running: Array<{ component: ComponentName; pid: number }> = [];
  for (const component of COMPONENTS) {
    const pid = readPidFile(componentPaths(dataDir, component).pidFile);
    if (pid === undefined || !isProcessAlive(pid)) continue;
    const commandLine = processCommandLine(pid);
    if (commandLine && markersOf(component, dataDir).every((marker) => commandLine.includes(marker))) {
      running.push({ component, pid });
    }
  }
  return running;
}

export function localAddresses(ports: StackPorts, host = LOCAL_HOST): StackAddresses {
  return {
    kafkaBrokers: [`${host}:${ports.kafka}`],
    questdbUrl: `http://${host}:${ports.questdbHttp}`,
    questdbPgUrl: `postgresql://admin:quest@${host}:${ports.questdbPg}/qdb`,
    mqttUrl: `mqtt://${host}:${ports.mqtt}`,
  };
}

function portsOf(component: ComponentName, ports: StackPorts): number[] {
  if (component === 'kafka') return [ports.kafka, ports.kafkaController];
  if (component === 'questdb') return [ports.questdbHttp, ports.questdbPg, ports.questdbIlp];
  return [ports.mqtt];
}

/**
 * Starts the local servers (in parallel) and waits until every server, local or external, is healthy.
 * On any failure, stops whatever it started and throws a {@link StackError} that says what to do.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  if (!isAbsolute(options.dataDir))
    throw new StackError(`startStack needs an absolute dataDir, got ${options.dataDir}`);
  const dataDir = options.dataDir;
  const cacheDir = options.cacheDir ?? join(dataDir, 'cache');
  const ports: StackPorts = { ...DEFAULT_PORTS, ...options.ports };
  const components: StackComponents = {
    kafka: options.components?.kafka ?? { mode: 'local' },
    questdb: options.components?.questdb ?? { mode: 'local' },
    mosquitto: options.components?.mosquitto ?? { mode: 'local' },
  };
  const log = options.log ?? (() => undefined);
  const healthTimeoutMs = options.healthTimeoutMs ?? 120_000;
  const hints = { ...DEFAULT_HINTS, ...options.externalHints };
  const local = COMPONENTS.filter((component) => components[component].mode === 'local');

  const defaults = localAddresses(ports);
  const addresses: StackAddresses = {
    kafkaBrokers: components.kafka.mode === 'external' ? components.kafka.brokers : defaults.kafkaBrokers,
    questdbUrl: components.questdb.mode === 'external' ? components.questdb.url : defaults.questdbUrl,
    questdbPgUrl: components.questdb.mode === 'external' ? components.questdb.pgUrl : defaults.questdbPgUrl,
    mqttUrl: components.mosquitto.mode === 'external' ? components.mosquitto.url : defaults.mqttUrl,
  };

  if (local.length > 0) {
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    mkdirSync(join(dataDir, 'run'), { recursive: true });
  }

  // A launcher killed with SIGKILL leaves its servers running; they would hold the ports and the data.
  await Promise.all(
    local.map(async (component) => {
      const stale = await stopStaleProcess(
        componentPaths(dataDir, component).pidFile,
        markersOf(component, dataDir),
      );
      if (stale !== undefined) log(`${component}: stopped pid ${stale} left running by an earlier launcher`);
    }),
  );

  if (options.fresh) {
    for (const component of local) rmSync(join(dataDir, component), { recursive: true, force: true });
  }

  const portErrors = (
    await Promise.allSettled(
      local.flatMap((component) =>
        portsOf(component, ports).map((port) =>
          assertPortFree(TITLES[component], LOCAL_HOST, port, hints[component]),
        ),
      ),
    )
  ).flatMap((result) => (result.status === 'rejected' ? [(result.reason as Error).message] : []));
  if (portErrors.length > 0) throw new StackError(portErrors.join('\n'));

  const javaUsers = local
    .filter((component) => component !== 'mosquitto')
    .map((component) => TITLES[component]);
  const java = javaUsers.length > 0 ? checkJava(javaUsers.join(' and ')).java : 'java';

  const started: ComponentProcess[] = [];
  const abort = new AbortController();
  const interrupted = () => abort.abort(new DOMException('start-up interrupted', 'AbortError'));
  if (options.signal?.aborted) interrupted();
  options.signal?.addEventListener('abort', interrupted, { once: true });

  const bringUp = async (component: ComponentName): Promise<void> => {
    const title = TITLES[component];
    const t0 = Date.now();
    const { logFile, pidFile } = componentPaths(dataDir, component);
    let proc: ComponentProcess | undefined;
    if (components[component].mode === 'local') {
      const launchPorts = async () => {
        for (const port of portsOf(component, ports))
          await assertPortFree(title, LOCAL_HOST, port, hints[component]);
      };
      if (component === 'kafka') {
        proc = await launchKafka({
          java,
          dataDir,
          cacheDir,
          host: LOCAL_HOST,
          port: ports.kafka,
          controllerPort: ports.kafkaController,
          logFile,
          pidFile,
          log,
          beforeSpawn: launchPorts,
        });
      } else if (component === 'questdb') {
        proc = await launchQuestdb({
          java,
          dataDir,
          cacheDir,
          host: LOCAL_HOST,
          httpPort: ports.questdbHttp,
          pgPort: ports.questdbPg,
          ilpPort: ports.questdbIlp,
          logFile,
          pidFile,
          log,
          beforeSpawn: launchPorts,
        });
      } else {
        const binary = await ensureMosquitto(log);
        await launchPorts();
        proc = await launchMosquitto(
          { dataDir, host: LOCAL_HOST, port: ports.mqtt, logFile, pidFile, log },
          binary,
        );
      }
      started.push(proc);
      log(`${component}: started (pid ${proc.pid}), waiting until healthy; log: ${logFile}`);
    } else {
      log(`${component}: using the external server at ${describeTarget(component, addresses)}`);
    }

    const probe =
      component === 'kafka'
        ? () => probeKafka(addresses.kafkaBrokers)
        : component === 'questdb'
          ? () => probeQuestdb(addresses.questdbUrl)
          : () => probeMqtt(addresses.mqttUrl);
    await waitHealthy({
      component,
      title,
      proc,
      probe,
      timeoutMs: healthTimeoutMs,
      signal: abort.signal,
      addresses,
    });
    if (component === 'kafka' && proc) {
      await warmUpGroupCoordinator(addresses.kafkaBrokers).catch((error: unknown) => {
        log(
          `kafka: group coordinator warm-up failed (consumers may wait a few seconds): ${(error as Error).message}`,
        );
      });
    }
    log(`${component}: healthy after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };

  const results = await Promise.allSettled(
    COMPONENTS.map((component) =>
      bringUp(component).catch((error: unknown) => {
        // One failure is enough: stop the others' waiting and tear down.
        abort.abort(error);
        throw error;
      }),
    ),
  );
  const failures = [
    ...new Set(results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))),
  ].filter((reason) => !(reason instanceof Error && reason.name === 'AbortError'));
  options.signal?.removeEventListener('abort', interrupted);
  if (failures.length > 0 || options.signal?.aborted) {
    if (started.length > 0) {
      log(
        `stopping ${started.map((proc) => proc.component).join(', ')}${failures.length > 0 ? ' after the failure' : ''}`,
      );
    }
    await Promise.all(started.map((proc) => stopComponent(proc, 10_000)));
    if (failures.length === 0) throw new StackError('Start-up interrupted; stopped what had started.');
    const message = failures
      .map((error) => (error instanceof Error ? error.message : String(error)))
      .join('\n\n');
    throw new StackError(message, { cause: failures[0] });
  }

  let stopping: Promise<void> | undefined;
  let forced = false;
  return {
    addresses,
    started: started.map((proc) => ({ component: proc.component, pid: proc.pid, logFile: proc.logFile })),
    stop(stopOptions) {
      if (stopOptions?.force && !forced) {
        forced = true;
        for (const proc of started) {
          try {
            if (!proc.exitInfo()) process.kill(proc.pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
      }
      stopping ??= Promise.all(
        started.map(async (proc) => {
          await stopComponent(proc, 15_000, stopOptions?.force ?? false);
          log(`${proc.component}: stopped`);
        }),
      ).then(() => undefined);
      return stopping;
    },
  };
}

function describeTarget(component: ComponentName, addresses: StackAddresses): string {
  if (component === 'kafka') return addresses.kafkaBrokers.join(',');
  if (component === 'questdb') return addresses.questdbUrl;
  return addresses.mqttUrl;
}

async function waitHealthy(args: {
  component: ComponentName;
  title: string;
  proc: ComponentProcess | undefined;
  probe: () => Promise<boolean>;
  timeoutMs: number;
  signal: AbortSignal;
  addresses: StackAddresses;
}): Promise<void> {
  const { proc, title } = args;
  const local = new AbortController();
  const onParentAbort = () => local.abort(args.signal.reason);
  args.signal.addEventListener('abort', onParentAbort, { once: true });
  let done = false;
  const exitedEarly = new Promise<never>((_, reject) => {
    void proc?.exited.then(async (info) => {
      if (done) return;
      const tail = await tailLog(proc.logFile, proc.logOffset);
      reject(
        new StackError(
          `${title} ${describeExit(info)} before it became healthy. Last lines of ${proc.logFile}:\n${indent(tail)}`,
        ),
      );
    });
  });
  try {
    await Promise.race([
      pollUntil(args.probe, {
        timeoutMs: args.timeoutMs,
        intervalMs: 250,
        signal: local.signal,
        describe: `${title} health check`,
      }),
      exitedEarly,
    ]);
  } catch (error) {
    if (args.signal.aborted) throw args.signal.reason;
    if (error instanceof StackError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    if (proc) {
      const tail = await tailLog(proc.logFile, proc.logOffset);
      throw new StackError(
        `${title} did not become healthy: ${reason}. See ${proc.logFile}; its last lines:\n${indent(tail)}`,
        { cause: error },
      );
    }
    throw new StackError(
      `${title} at ${describeTarget(args.component, args.addresses)} (external) is not reachable: ${reason}. ` +
        'Check that it runs and that the address is right, or unset the variable so the launcher starts one.',
      { cause: error },
    );
  } finally {
    done = true;
    local.abort();
    args.signal.removeEventListener('abort', onParentAbort);
  }
}
