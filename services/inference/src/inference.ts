import { randomUUID } from 'node:crypto';
import { ConfigError, type InferenceConfig } from '@millrace/config';
import {
  createKafka,
  KafkaPipelineError,
  PipelineProducer,
  runConsumer,
  type BatchContext,
  type ConsumedMessage,
  type ConsumerRunner,
} from '@millrace/kafka';
import type { Observability } from '@millrace/observability';
import { QueryClient } from '@millrace/questdb';
import {
  CellAssembler,
  cellWindow,
  DEFAULT_FEEDBACK_RULES,
  FEATURE_NAMES,
  featureTags,
  FeedbackEngine,
  feedbackRulesSchema,
  machineTag,
  modelDir,
  pairCell,
  scoreCell,
  type CellInspections,
  type FeedbackRule,
  type ScoredCell,
  type SeriesReader,
  type SeriesStore,
  WindowCache,
  windowTagFilter,
} from '@millrace/risk-model';
import {
  describeIssues,
  RISK_RECOMMENDATIONS,
  TOPICS,
  type Inspection,
  type MachineCommand,
  type RiskEvent,
} from '@millrace/schema';
import { epochUs, nowUs, type EpochUs } from '@millrace/time';
import type { Kafka } from 'kafkajs';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ModelWatcher, type LoadedModel } from './model-watcher.js';
import { readIpqc, readSeries } from './store-reads.js';
import { WindowFeed } from './window-feed.js';

export interface InferenceTopics {
  inspections: typeof TOPICS.inspections;
  /** Machine samples the window cache follows. */
  samples: typeof TOPICS.samples;
  risk: typeof TOPICS.risk;
  commands: typeof TOPICS.commands;
}

/** The configured feedback rules, or the demo line's; an invalid INFERENCE_RULES stops start-up with its key. */
export function rulesFrom(config: Pick<InferenceConfig, 'INFERENCE_RULES'>): readonly FeedbackRule[] {
  if (config.INFERENCE_RULES === undefined) return DEFAULT_FEEDBACK_RULES;
  const parsed = feedbackRulesSchema.safeParse(config.INFERENCE_RULES);
  if (!parsed.success)
    throw new ConfigError([{ key: 'INFERENCE_RULES', message: describeIssues(parsed.error) }]);
  return parsed.data;
}

// An FQC's IPQC is at most this much older (assembly to FQC); bounds the QuestDB lookup after a restart.
const IPQC_LOOKBACK_US = 24 * 3_600_000_000;
// Re-read period while a fresh cell's machine samples are still on their way to QuestDB.
const WINDOW_POLL_MS = 200;

// Longest wait for the feed between two looks at a pending cell (heartbeating in between).
const FEED_WAIT_MS = 1_000;

/**
 * Consumes inspections, scores each cell when its FQC arrives, emits `quality.risk.v1`, and lets the
 * feedback rules turn risk patterns into bounded `machine.commands.v1`. A live cell's machine windows
 * come from the window cache fed by `plant.samples.v1`; the cells it does not cover (a backlog, the
 * first minutes after a start) are scored together from one QuestDB read per line and batch.
 */
export class RiskInference {
  private readonly kafka: Kafka;
  private readonly producer: PipelineProducer;
  private readonly client: QueryClient;
  private readonly assembler: CellAssembler;
  private readonly watcher: ModelWatcher;
  private readonly topics: InferenceTopics;
  private readonly rules: readonly FeedbackRule[];
  private feedback: FeedbackEngine;
  private runner: ConsumerRunner | undefined;
  private readonly cache: WindowCache | undefined;
  private readonly feed: WindowFeed | undefined;
  private wanted: (tag: string) => boolean = () => false;
  /** The newest series read per line, for the rules' current setpoint values. */
  private readonly lastSeries = new Map<string, SeriesStore>();
  private readonly metrics;

  constructor(
    private readonly config: InferenceConfig,
    private readonly observability: Observability,
    topics?: InferenceTopics,
  ) {
    this.topics = topics ?? {
      inspections: TOPICS.inspections,
      samples: TOPICS.samples,
      risk: TOPICS.risk,
      commands: TOPICS.commands,
    };
    this.rules = config.INFERENCE_RULES_ENABLED ? rulesFrom(config) : [];
    this.feedback = new FeedbackEngine(this.rules);
    this.kafka = createKafka({
      brokers: config.MILLRACE_KAFKA_BROKERS,
      clientId: 'inference',
      logger: observability.logger,
    });
    this.producer = new PipelineProducer(this.kafka, 'inference');
    this.client = new QueryClient({ pgUrl: config.MILLRACE_QUESTDB_PG_URL, maxConnections: 2 });
    this.assembler = new CellAssembler(config.INFERENCE_MAX_PENDING_CELLS);
    const registers = [observability.metrics];
    this.metrics = {
      inspections: new Counter({
        name: 'millrace_inference_inspections_total',
        help: 'Inspections consumed',
        labelNames: ['stage'],
        registers,
      }),
      cells: new Counter({
        name: 'millrace_inference_cells_total',
        help: 'Cells scored, by risk class',
        labelNames: ['class'],
        registers,
      }),
      unknown: new Counter({
        name: 'millrace_inference_unknown_total',
        help: "Cells scored 'unknown' (bad input: missing, out of physical range, no machine samples, no IPQC)",
        labelNames: ['reason'],
        registers,
      }),
      scrapped: new Counter({
        name: 'millrace_inference_scrapped_total',
        help: 'Cells not scored because a stage failed them',
        labelNames: ['stage'],
        registers,
      }),
      waitingForModel: new Counter({
        name: 'millrace_inference_batches_waiting_for_model_total',
        help: 'Batches held because no model is promoted',
        registers,
      }),
      commands: new Counter({
        name: 'millrace_inference_commands_total',
        help: 'Machine commands emitted',
        labelNames: ['rule'],
        registers,
      }),
      batchSeconds: new Histogram({
        name: 'millrace_inference_batch_seconds',
        help: 'Scoring one batch: QuestDB reads, features, model, produce',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers,
      }),
      batchCells: new Histogram({
        name: 'millrace_inference_batch_cells',
        help: 'Cells scored per batch',
        buckets: [1, 10, 100, 1000, 10_000],
        registers,
      }),
      modelLoaded: new Gauge({
        name: 'millrace_inference_model_loaded',
        help: '1 when a model serves, 0 on a cold start',
        registers,
      }),
      windows: new Counter({
        name: 'millrace_inference_windows_total',
        help: "Cells whose machine windows were read from the in-memory cache ('cache') or QuestDB ('store')",
        labelNames: ['source'],
        registers,
      }),
      modelInfo: new Gauge({
        name: 'millrace_inference_model_info',
        help: 'The serving model version (value 1)',
        labelNames: ['version'],
        registers,
      }),
    };
    this.metrics.modelLoaded.set(0);
    if (config.INFERENCE_WINDOW_CACHE_MS > 0) {
      this.cache = new WindowCache(config.INFERENCE_WINDOW_CACHE_MS * 1000);
      this.feed = new WindowFeed(
        this.kafka,
        this.topics.samples,
        config.INFERENCE_GROUP_ID,
        this.cache,
        () => this.wanted,
        observability.logger,
        observability.metrics,
      );
    }
    this.watcher = new ModelWatcher(
      config.INFERENCE_MODEL_DIR ?? modelDir(config.MILLRACE_DATA_DIR),
      config.INFERENCE_MODEL_POLL_MS,
      config.INFERENCE_TOP_REASONS,
      observability.logger,
      (model) => this.onModel(model),
    );
  }

  get model(): LoadedModel | undefined {
    return this.watcher.current;
  }

  private onModel(model: LoadedModel): void {
    this.metrics.modelLoaded.set(1);
    this.metrics.modelInfo.reset();
    this.metrics.modelInfo.set({ version: model.scorer.version }, 1);
    this.wanted = windowTagFilter(
      model.featureConfig,
      this.rules.map(({ action }) => ({ machine: action.machine, signal: action.setpoint })),
    );
    // Evidence gathered under the previous model's reasons does not carry over.
    this.feedback = new FeedbackEngine(this.rules);
  }

  async start(): Promise<void> {
    const { health, logger } = this.observability;
    await this.watcher.start();
    health.register('model', () => {
      if (!this.watcher.current)
        throw new Error('no promoted model (cold start): run `millrace train`; scoring nothing');
      return true;
    });
    await this.producer.connect();
    // Following the samples first: a window is held only from the feed's start.
    await this.feed?.start();
    this.runner = await runConsumer({
      kafka: this.kafka,
      groupId: this.config.INFERENCE_GROUP_ID,
      spec: this.topics.inspections,
      producer: this.producer,
      logger,
      partitionsConsumedConcurrently: this.config.INFERENCE_PARTITIONS_CONCURRENTLY,
      handler: (messages, context) => this.handle(messages, context),
    });
    health.register('kafka-consumer', () => this.runner !== undefined);
    logger.info(
      { topic: this.topics.inspections.name, rules: this.rules.map((rule) => rule.id) },
      'inference consuming',
    );
  }

  /**
   * One batch. Without a model the batch is held (a retriable failure, retried with backoff): nothing is
   * scored and nothing is lost, and the backlog is scored once a model is promoted.
   */
  async handle(messages: readonly ConsumedMessage<Inspection>[], context: BatchContext): Promise<void> {
    const model = this.watcher.current;
    if (!model) {
      this.metrics.waitingForModel.inc();
      throw new KafkaPipelineError('no promoted risk model yet', true);
    }
    const stopTimer = this.metrics.batchSeconds.startTimer();
    const now = nowUs();
    const ready: CellInspections[] = [];
    const missing: Inspection[] = [];
    const done: string[] = [];
    for (const { value } of messages) {
      const outcome = this.assembler.add(value);
      if (outcome.kind === 'ready') ready.push(outcome.cell);
      else if (outcome.kind === 'missing-ipqc') missing.push(outcome.fqc);
      else if (outcome.kind === 'scrapped' && outcome.stage === 'FQC') done.push(value.cellId);
    }

    const events: RiskEvent[] = [];
    if (missing.length > 0) {
      const sinceUs = epochUs(Math.min(...missing.map((fqc) => fqc.ts)) - IPQC_LOOKBACK_US);
      const found = await readIpqc(this.client, [...new Set(missing.map((fqc) => fqc.cellId))], sinceUs);
      for (const fqc of missing) {
        const ipqc = found.get(fqc.cellId);
        if (ipqc && ipqc.verdict !== 'fail') ready.push(pairCell(ipqc, fqc));
        else events.push(this.unknown(model, fqc, 'no IPQC record of this cell (in memory or in QuestDB)'));
      }
    }

    const { scored, fromCache } =
      ready.length > 0 ? await this.score(model, ready, context.heartbeat) : { scored: [], fromCache: 0 };
    for (const { event } of scored) events.push(event);

    if (events.length > 0) {
      await this.producer.send(
        this.topics.risk,
        events.map((event) => ({ key: event.cellId, value: event })),
      );
    }
    const commands = this.feedbackCommands(model, ready, scored, now);
    if (commands.length > 0) {
      await this.producer.send(
        this.topics.commands,
        commands.map((command) => ({ key: command.machine, value: command })),
      );
    }

    // Counted only now that the batch is through: a retried batch is not counted twice.
    for (const { value } of messages) {
      this.metrics.inspections.inc({ stage: value.stage });
      if (value.verdict === 'fail' && value.stage !== 'OQC')
        this.metrics.scrapped.inc({ stage: value.stage });
    }
    for (const event of events) this.metrics.cells.inc({ class: event.riskClass });
    for (const cell of scored) if (cell.unscorable) this.metrics.unknown.inc({ reason: cell.unscorable });
    this.metrics.unknown.inc({ reason: 'no_ipqc' }, events.length - scored.length);
    for (const command of commands) this.metrics.commands.inc({ rule: command.issuedBy.id });
    this.metrics.windows.inc({ source: 'cache' }, fromCache);
    this.metrics.windows.inc({ source: 'store' }, ready.length - fromCache);
    for (const cell of ready) this.assembler.forget(cell.cellId);
    for (const cellId of done) this.assembler.forget(cellId);
    this.metrics.batchCells.observe(events.length);
    stopTimer();
  }

  /**
   * Scores cells from the window cache when it holds their windows, the others with one QuestDB read per
   * line for all their windows. A fresh cell's formation window ends at its FQC, whose samples may still
   * be on their way: it waits for them (feed or store), for at most INFERENCE_WINDOW_WAIT_MS of its age.
   */
  private async score(
    model: LoadedModel,
    cells: readonly CellInspections[],
    heartbeat: () => Promise<void>,
  ): Promise<{ scored: ScoredCell[]; fromCache: number }> {
    const { featureConfig, scorer } = model;
    const results = new Map<string, ScoredCell>();
    const buffer = new Float64Array(FEATURE_NAMES.length);
    const fromStore = this.cache
      ? await this.scoreFromCache(model, this.cache, cells, results, heartbeat)
      : cells;
    const byLine = new Map<string, CellInspections[]>();
    for (const cell of fromStore) {
      const lineCells = byLine.get(cell.line);
      if (lineCells) lineCells.push(cell);
      else byLine.set(cell.line, [cell]);
    }
    for (const [line, lineCells] of byLine) {
      const windows = lineCells.map((cell) => cellWindow(featureConfig, cell));
      const fromUs = epochUs(Math.min(...windows.map((window) => window.fromUs)));
      const toUs = epochUs(Math.max(...windows.map((window) => window.toUs)));
      const tags = [...featureTags(featureConfig, line), ...this.setpointTags(model, line)];
      // A little past the newest window, so the read also shows whether each tag has got that far; the
      // read is repeated until every window is stored or the cell is older than the wait.
      let series: SeriesStore;
      for (;;) {
        series = await readSeries(this.client, tags, fromUs, epochUs(toUs + 10_000_000));
        const stored = series;
        const current = nowUs();
        const waiting = lineCells.some(
          (cell, index) =>
            this.young(cell, current) &&
            windows[index]!.needs.some(({ tag, untilUs }) => (stored.newest(tag) ?? -Infinity) < untilUs),
        );
        if (!waiting) break;
        await heartbeat();
        await new Promise((resolve) => setTimeout(resolve, WINDOW_POLL_MS));
      }
      for (const cell of lineCells)
        results.set(cell.cellId, scoreCell(scorer, featureConfig, cell, series, buffer));
      this.lastSeries.set(line, series);
    }
    return {
      scored: cells.map((cell) => results.get(cell.cellId)!),
      fromCache: cells.length - fromStore.length,
    };
  }

  /** Scores the cells the cache covers into `results`, waiting on the feed for pending ones; returns the rest. */
  private async scoreFromCache(
    model: LoadedModel,
    cache: WindowCache,
    cells: readonly CellInspections[],
    results: Map<string, ScoredCell>,
    heartbeat: () => Promise<void>,
  ): Promise<CellInspections[]> {
    const { featureConfig, scorer } = model;
    const buffer = new Float64Array(FEATURE_NAMES.length);
    const rest: CellInspections[] = [];
    let pending: CellInspections[] = [...cells];
    for (;;) {
      const still: CellInspections[] = [];
      const current = nowUs();
      for (const cell of pending) {
        const coverage = cache.coverage(featureConfig, cell);
        if (coverage === 'miss') rest.push(cell);
        else if (coverage === 'pending' && this.young(cell, current)) still.push(cell);
        else results.set(cell.cellId, scoreCell(scorer, featureConfig, cell, cache, buffer));
      }
      if (still.length === 0) return rest;
      pending = still;
      await cache.nextChange(FEED_WAIT_MS);
      await heartbeat();
    }
  }

  /** Whether a cell is still within the wait for its machine samples (event time of its FQC against now). */
  private young(cell: CellInspections, now: EpochUs): boolean {
    return now - cell.fqc.ts < this.config.INFERENCE_WINDOW_WAIT_MS * 1000;
  }

  private setpointTags(model: LoadedModel, line: string): string[] {
    return this.rules.map((rule) =>
      machineTag(model.featureConfig, line, rule.action.machine, rule.action.setpoint),
    );
  }

  private feedbackCommands(
    model: LoadedModel,
    cells: readonly CellInspections[],
    scored: readonly ScoredCell[],
    now: EpochUs,
  ): MachineCommand[] {
    if (this.rules.length === 0) return [];
    const lines = new Set<string>();
    scored.forEach((result, index) => {
      const cell = cells[index]!;
      // A backlog is scored, but old cells are no evidence about the machine as it runs now.
      if (result.high === undefined || now - cell.fqc.ts > this.config.INFERENCE_RULES_MAX_AGE_MS * 1000)
        return;
      this.feedback.observe(cell.line, result.high, result.reasons);
      lines.add(cell.line);
    });
    const commands: MachineCommand[] = [];
    for (const line of lines) {
      const stored: SeriesReader | undefined = this.lastSeries.get(line);
      const decisions = this.feedback.decide(
        line,
        (rule) => {
          const tag = machineTag(model.featureConfig, line, rule.action.machine, rule.action.setpoint);
          return this.cache?.valueAt(tag, now) ?? stored?.valueAt(tag, now);
        },
        now,
      );
      for (const decision of decisions) {
        commands.push({
          commandId: randomUUID(),
          ts: now,
          machine: decision.machine,
          setpoint: decision.setpoint,
          value: decision.value,
          ...(decision.unit ? { unit: decision.unit } : {}),
          reason: decision.reason,
          issuedBy: { kind: 'rule', id: decision.ruleId },
          modelVersion: model.scorer.version,
          dryRun: this.config.INFERENCE_COMMANDS_DRY_RUN,
        });
        this.observability.logger.info(
          { rule: decision.ruleId, line, machine: decision.machine, from: decision.from, to: decision.value },
          'corrective command',
        );
      }
    }
    return commands;
  }

  private unknown(model: LoadedModel, fqc: Inspection, reason: string): RiskEvent {
    return {
      cellId: fqc.cellId,
      orderId: fqc.orderId,
      ts: fqc.ts,
      modelVersion: model.scorer.version,
      riskClass: 'unknown',
      probability: null,
      recommendation: RISK_RECOMMENDATIONS.unknown,
      reasons: [],
      unknownReason: reason,
    };
  }

  async stop(): Promise<void> {
    this.watcher.stop();
    await this.runner?.stop();
    this.runner = undefined;
    await this.feed?.stop();
    await this.producer.disconnect();
    await this.client.end();
  }
}
