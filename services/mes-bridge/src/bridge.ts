import { Observability, type Logger } from '@millrace/observability';
import { createKafka, PipelineProducer, runConsumer, type ConsumerRunner } from '@millrace/kafka';
import { QueryClient } from '@millrace/questdb';
import {
  TOPICS,
  describeIssues,
  orderBodySchema,
  pulledOrdersSchema,
  type CommandResult,
  type MachineCommand,
  type ProductionOrder,
  type RiskEvent,
} from '@millrace/schema';
import { nowUs, type EpochUs } from '@millrace/time';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { join } from 'node:path';
import { CommandExecutor } from './commands/command-executor.js';
import { MqttSetpointWriter, OpcuaSetpointWriter } from './commands/machine-writers.js';
import { commandTargetsSchema, DEFAULT_COMMAND_TARGETS, type CommandTarget } from './commands/targets.js';
import { GenealogyReader } from './genealogy/genealogy.reader.js';
import { UnavailableError } from './http/errors.filter.js';
import { OrderBook } from './orders/order-book.js';
import { inApplyOrder } from './orders/order-state.js';
import { MesClient } from './outbox/mes-client.js';
import { Outbox, type OutboxItem } from './outbox/outbox.js';
import { CONFIG, type Settings } from './tokens.js';

const COMMAND_MAX_AGE_MS = 60_000;
const RECENT_RESULTS = 200;

/** Parses MES_BRIDGE_COMMAND_TARGETS at start: a bad allow-list stops the service, naming the entry. */
export function commandTargets(config: Settings): readonly CommandTarget[] {
  if (config.MES_BRIDGE_COMMAND_TARGETS === undefined) return DEFAULT_COMMAND_TARGETS;
  const parsed = commandTargetsSchema.safeParse(config.MES_BRIDGE_COMMAND_TARGETS);
  if (!parsed.success) throw new Error(`MES_BRIDGE_COMMAND_TARGETS: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * Everything of the bridge that runs: the Kafka producer (orders, operator commands, results), the
 * consumers of `quality.risk.v1` (into the outbox) and `machine.commands.v1` (executed), the outbox to
 * the MES, the pull poller and the machine-data summaries. Kafka and the MES may be away at start: the
 * HTTP API answers meanwhile (writes with 503) and the work starts when they come.
 */
@Injectable()
export class Bridge implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly orders: OrderBook;
  readonly questdb: QueryClient;
  readonly genealogy: GenealogyReader;
  private readonly logger: Logger;
  private readonly kafka: Kafka;
  private readonly producer: PipelineProducer;
  private producerReady = false;
  private readonly outbox: Outbox | undefined;
  private readonly executor: CommandExecutor | undefined;
  private readonly opcua: OpcuaSetpointWriter;
  private readonly mqtt: MqttSetpointWriter;
  private readonly mes: MesClient;
  private readonly consumers: ConsumerRunner[] = [];
  private readonly results: CommandResult[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopping = false;
  private pullValidators: { etag?: string; lastModified?: string } = {};
  private lastSummaryTo: EpochUs | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: Settings,
    @Inject(Observability) observability: Observability,
  ) {
    this.logger = observability.logger;
    const dataDir = join(config.MILLRACE_DATA_DIR, 'mes-bridge');
    this.kafka = createKafka({
      brokers: config.MILLRACE_KAFKA_BROKERS,
      clientId: 'mes-bridge',
      logger: this.logger,
      // An HTTP caller waits for the send: a few seconds, then 503, rather than kafkajs's half minute.
      retry: { retries: 3, initialRetryTimeMs: 200, maxRetryTimeMs: 1_000, requestTimeoutMs: 3_000 },
    });
    this.producer = new PipelineProducer(this.kafka, 'mes-bridge');
    this.orders = new OrderBook(dataDir, (order) => this.publishOrder(order));
    this.questdb = new QueryClient({
      pgUrl: config.MILLRACE_QUESTDB_PG_URL,
      maxConnections: 2,
      statementTimeoutMs: 10_000,
    });
    this.genealogy = new GenealogyReader(this.questdb);
    this.mes = new MesClient({
      baseUrl: config.MES_BRIDGE_MES_URL ?? 'http://127.0.0.1:8095/mes',
      token: config.MES_BRIDGE_MES_TOKEN,
      timeoutMs: config.MES_BRIDGE_HTTP_TIMEOUT_MS,
    });
    this.opcua = new OpcuaSetpointWriter(
      config.MES_BRIDGE_OPCUA_ENDPOINT,
      join(dataDir, 'pki'),
      config.MES_BRIDGE_HTTP_TIMEOUT_MS,
      this.logger,
    );
    this.mqtt = new MqttSetpointWriter(config.MILLRACE_MQTT_URL, config.MES_BRIDGE_HTTP_TIMEOUT_MS);
    if (config.MES_BRIDGE_OUTBOX_ENABLED) {
      this.outbox = new Outbox({
        dir: join(dataDir, 'outbox'),
        maxBytes: config.MES_BRIDGE_OUTBOX_MAX_BYTES,
        policy: {
          maxAttempts: config.MES_BRIDGE_OUTBOX_MAX_ATTEMPTS,
          initialMs: config.MES_BRIDGE_OUTBOX_RETRY_INITIAL_MS,
          maxMs: config.MES_BRIDGE_OUTBOX_RETRY_MAX_MS,
        },
        deliver: (item) =>
          this.mes.post(item.kind === 'qc-result' ? '/results' : '/machine-data', item.payload, item.id),
        metrics: observability.metrics,
        logger: this.logger,
      });
    }
    if (config.MES_BRIDGE_COMMANDS_ENABLED) {
      this.executor = new CommandExecutor({
        targets: commandTargets(config),
        dryRun: config.MES_BRIDGE_COMMANDS_DRY_RUN,
        maxAgeMs: COMMAND_MAX_AGE_MS,
        opcua: this.opcua,
        mqtt: this.mqtt,
        metrics: observability.metrics,
        logger: this.logger,
      });
    }
    observability.health.register('kafka', () => this.producerReady);
  }

  onApplicationBootstrap(): void {
    this.outbox?.start();
    void this.startKafka();
    if (this.config.MES_BRIDGE_PULL_ENABLED)
      this.every(this.config.MES_BRIDGE_PULL_PERIOD_MS, () => this.pull());
    if (this.outbox && this.config.MES_BRIDGE_SUMMARY_PERIOD_MS > 0) {
      this.every(this.config.MES_BRIDGE_SUMMARY_PERIOD_MS, () => this.summarise());
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all(this.consumers.map((runner) => runner.stop()));
    await this.outbox?.stop();
    await this.producer.disconnect().catch(() => undefined);
    await Promise.all([this.opcua.close(), this.mqtt.close(), this.questdb.end()]);
  }

  /** Resolves once Kafka has the order; otherwise 503, and the caller's request stored nothing. */
  async publishOrder(order: ProductionOrder): Promise<void> {
    await this.unavailableUnless(
      this.producer.send(TOPICS.orders, [{ key: order.orderId, value: order }]),
      'Kafka',
    );
  }

  async queueCommand(command: MachineCommand): Promise<void> {
    await this.unavailableUnless(
      this.producer.send(TOPICS.commands, [{ key: command.machine, value: command }]),
      'Kafka',
    );
  }

  async unavailableUnless<T>(work: Promise<T>, what: string): Promise<T> {
    if (what === 'Kafka' && !this.producerReady) {
      work.catch(() => undefined);
      throw new UnavailableError('Kafka is not reachable yet; try again');
    }
    try {
      return await work;
    } catch (error) {
      throw new UnavailableError(`${what} is not reachable; try again`, { cause: error });
    }
  }

  recentResults(limit: number): CommandResult[] {
    return this.results.slice(-limit).reverse();
  }

  outboxStatus() {
    if (!this.outbox) return { depth: 0, deadLetters: 0, delivering: null, oldestDeadLetters: [] };
    return { ...this.outbox.status(), oldestDeadLetters: this.outbox.deadLetters(20) };
  }

  private async startKafka(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt += 1) {
      try {
        await this.producer.connect();
        this.producerReady = true;
        break;
      } catch (error) {
        if (attempt === 1)
          this.logger.warn({ err: error }, 'Kafka not reachable; retrying in the background');
        await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * attempt)));
      }
    }
    if (this.stopping) return;
    const group = this.config.MES_BRIDGE_GROUP_ID;
    try {
      if (this.outbox) {
        const outbox = this.outbox;
        this.consumers.push(
          await runConsumer({
            kafka: this.kafka,
            groupId: `${group}.risk`,
            spec: TOPICS.risk,
            producer: this.producer,
            logger: this.logger,
            // A new bridge reports from now on: the MES did not ask for a month of old results.
            fromBeginning: false,
            handler: async (messages) => {
              await outbox.append(messages.map((message) => qcResultItem(message.value)));
            },
          }),
        );
      }
      if (this.executor) {
        const executor = this.executor;
        this.consumers.push(
          await runConsumer({
            kafka: this.kafka,
            groupId: `${group}.commands`,
            spec: TOPICS.commands,
            producer: this.producer,
            logger: this.logger,
            // Never replay old commands to a machine; the age check would refuse them anyway.
            fromBeginning: false,
            handler: async (messages) => {
              for (const message of messages) {
                const result = await executor.execute(message.value);
                await this.producer.send(TOPICS.commandResults, [{ key: result.machine, value: result }]);
                this.results.push(result);
                if (this.results.length > RECENT_RESULTS) this.results.shift();
              }
            },
          }),
        );
      }
    } catch (error) {
      this.logger.error({ err: error }, 'cannot start the Kafka consumers');
    }
  }

  /** Pull mode: the MES's order list, fetched only when changed (ETag / Last-Modified). */
  private async pull(): Promise<void> {
    let result;
    try {
      result = await this.mes.pull('/orders', this.pullValidators.etag, this.pullValidators.lastModified);
    } catch (error) {
      this.logger.debug({ err: error }, 'MES order pull failed');
      return;
    }
    if (result.status === 304) return;
    const list = pulledOrdersSchema.safeParse(result.body);
    if (!list.success) {
      this.logger.warn({ reason: describeIssues(list.error) }, 'MES order list refused');
      return;
    }
    const updates = [];
    for (const entry of list.data.orders) {
      const parsed = orderBodySchema.safeParse(entry);
      if (!parsed.success)
        this.logger.warn({ entry, reason: describeIssues(parsed.error) }, 'MES order refused');
      else updates.push({ ...parsed.data, ts: parsed.data.ts ?? nowUs() });
    }
    let complete = true;
    for (const update of inApplyOrder(updates)) {
      try {
        const outcome = await this.orders.upsert(update);
        if (outcome.status === 409)
          this.logger.warn(
            { orderId: update.orderId, reason: outcome.body.message },
            'pulled order conflicts',
          );
      } catch (error) {
        complete = false; // Kafka away: keep the old validators so the next poll gets the list again
        this.logger.warn({ err: error }, 'pulled orders not published');
        break;
      }
    }
    if (complete) {
      this.pullValidators = {
        ...(result.etag === undefined ? {} : { etag: result.etag }),
        ...(result.lastModified === undefined ? {} : { lastModified: result.lastModified }),
      };
    }
  }

  private async summarise(): Promise<void> {
    if (!this.outbox) return;
    // Summarised by source time, once the pipeline has had time to store it: a window read at once would
    // miss the samples still in flight, and the next window starts after it.
    const to = (nowUs() - this.config.MES_BRIDGE_SUMMARY_SETTLE_MS * 1000) as EpochUs;
    const from = this.lastSummaryTo ?? ((to - this.config.MES_BRIDGE_SUMMARY_PERIOD_MS * 1000) as EpochUs);
    let rows;
    try {
      rows = await this.genealogy.summary(this.config.MES_BRIDGE_SUMMARY_PREFIX, from, to);
    } catch (error) {
      this.logger.debug({ err: error }, 'machine-data summary skipped: QuestDB not reachable');
      return;
    }
    this.lastSummaryTo = to;
    if (rows.length === 0) return;
    await this.outbox.append([
      {
        id: `summary-${from}-${to}`,
        kind: 'machine-summary',
        createdTs: to,
        payload: { from, to, tags: rows },
      },
    ]);
  }

  /** Runs `work` every `ms`, never two at once. */
  private every(ms: number, work: () => Promise<void>): void {
    const schedule = (delay: number) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.stopping) return;
        void work()
          .catch((error: unknown) => this.logger.warn({ err: error }, 'periodic work failed'))
          .finally(() => {
            if (!this.stopping) schedule(ms);
          });
      }, delay);
      this.timers.add(timer);
    };
    schedule(Math.min(ms, 1_000));
  }
}

/** What the MES receives per scored cell: the seed's QC result (class, probability, recommendation). */
export function qcResultItem(event: RiskEvent): OutboxItem {
  return {
    id: `qc-${event.cellId}-${event.modelVersion}-${event.ts}`,
    kind: 'qc-result',
    createdTs: nowUs(),
    payload: {
      cellId: event.cellId,
      orderId: event.orderId,
      ts: event.ts,
      riskClass: event.riskClass,
      probability: event.probability,
      recommendation: event.recommendation,
      modelVersion: event.modelVersion,
    },
  };
}
