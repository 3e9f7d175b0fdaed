/** The three servers of the local stack, as the launcher names them in logs, pid files and errors. */
export type ComponentName = 'kafka' | 'questdb' | 'mosquitto';

export const COMPONENTS: readonly ComponentName[] = ['kafka', 'questdb', 'mosquitto'];

/** Where the stack's servers answer; every service and test connects through these. */
export interface StackAddresses {
  /** Kafka bootstrap servers as `host:port`. */
  kafkaBrokers: string[];
  /** QuestDB HTTP (REST `/exec`, ILP over HTTP, web console), e.g. `http://127.0.0.1:9000`. */
  questdbUrl: string;
  /** QuestDB PostgreSQL wire protocol, e.g. `postgresql://admin:quest@127.0.0.1:8812/qdb`. */
  questdbPgUrl: string;
  /** MQTT broker, e.g. `mqtt://127.0.0.1:1883`. */
  mqttUrl: string;
}

/** TCP ports the locally started servers listen on (all bound to the loopback host). */
export interface StackPorts {
  kafka: number;
  kafkaController: number;
  questdbHttp: number;
  questdbPg: number;
  questdbIlp: number;
  mqtt: number;
}

export const DEFAULT_PORTS: Readonly<StackPorts> = Object.freeze({
  kafka: 9092,
  kafkaController: 9093,
  questdbHttp: 9000,
  questdbPg: 8812,
  questdbIlp: 9009,
  mqtt: 1883,
});

/** Per component: start it here (`local`) or use a server that already runs elsewhere (`external`). */
export type KafkaSetup = { mode: 'local' } | { mode: 'external'; brokers: string[] };
export type QuestdbSetup = { mode: 'local' } | { mode: 'external'; url: string; pgUrl: string };
export type MosquittoSetup = { mode: 'local' } | { mode: 'external'; url: string };

export interface StackComponents {
  kafka: KafkaSetup;
  questdb: QuestdbSetup;
  mosquitto: MosquittoSetup;
}

export interface StackOptions {
  /** Absolute directory for the servers' data, logs and pid files. */
  dataDir: string;
  /** Absolute directory for downloaded jars; defaults to `<dataDir>/cache`. Safe to share between data dirs. */
  cacheDir?: string;
  /** Which servers to start; omitted components are started locally. */
  components?: Partial<StackComponents>;
  /** Ports for the local servers; omitted ones take {@link DEFAULT_PORTS}. */
  ports?: Partial<StackPorts>;
  /** Progress lines (one line each, no trailing newline). */
  log?: (line: string) => void;
  /** How long each server may take to become healthy; default 120 s. */
  healthTimeoutMs?: number;
  /** Wipe the local servers' data (not logs, not the download cache) before starting. */
  fresh?: boolean;
  /**
   * Per component, how the user points the stack at an existing server instead; quoted in the
   * "port in use" error. Defaults name the MILLRACE_* env vars of `millrace start`.
   */
  externalHints?: Partial<Record<ComponentName, string>>;
  /** Aborting stops the start-up: what was started is stopped and startStack rejects. */
  signal?: AbortSignal;
}

/** A started stack. `stop()` ends only the processes this call started; external servers are left alone. */
export interface RunningStack {
  addresses: StackAddresses;
  /** Components started here, with their log files. */
  started: ReadonlyArray<{ component: ComponentName; pid: number; logFile: string }>;
  /** SIGTERM to each child, SIGKILL after ~15 s; resolves once every child has exited. Idempotent. */
  stop(options?: { force?: boolean }): Promise<void>;
}

/** The loopback host every local server binds to. */
export const LOCAL_HOST = '127.0.0.1';
