import type { StreamProcessorConfig } from '@millrace/config';
import {
  createKafka,
  ensureTopics,
  PipelineProducer,
  runConsumer,
  type ConsumerRunner,
} from '@millrace/kafka';
import type { Observability } from '@millrace/observability';
import { IlpWriter, migrate, QueryClient } from '@millrace/questdb';
import { storeMappings, TagTypes, type StoreMapping } from '@millrace/rows';
import { TABLES, TOPICS, type SampleBatch } from '@millrace/schema';
import { nowUs } from '@millrace/time';
import { TagStats, TumblingWindows, type TagStatsRow } from '@millrace/windowing';
import type { Kafka } from 'kafkajs';
import { Counter, Gauge, Histogram } from 'prom-client';

/**
 * Runs one consumer group per stored topic. Each batch is mapped to rows, written to QuestDB by ILP over
 * HTTP, and only when QuestDB acknowledged every write does the runner commit the batch's offsets
 * (libs/kafka runConsumer): a crash re-delivers, and the tables' DEDUP keys make the re-delivery a no-op.
 * While QuestDB is down the write fails as retriable and the runner retries that batch with backoff,
 * which holds the partition: nothing more is fetched for it, so memory stays bounded.
 */
export class StreamProcessor {
  private readonly kafka: Kafka;
  private readonly producer: PipelineProducer;
  private readonly types = new TagTypes();
  private readonly windows: TumblingWindows;
  private readonly tagStats = new TagStats();
  private tagStatsTimer: NodeJS.Timeout | undefined;
  private readonly runners: ConsumerRunner[] = [];
  private writer: IlpWriter | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private readonly metrics;

  constructor(
    private readonly config: StreamProcessorConfig,
    private readonly observability: Observability,
  ) {
    this.kafka = createKafka({
      brokers: config.MILLRACE_KAFKA_BROKERS,
      clientId: 'stream-processor',
      logger: observability.logger,
    });
    this.producer = new PipelineProducer(this.kafka, 'stream-processor');
    // Lateness accounting only: rollups are QuestDB views over raw, exact whatever arrives late.
    this.windows = new TumblingWindows({
      resolutions: ['1s'],
      allowedLatenessUs: config.STREAM_PROCESSOR_ALLOWED_LATENESS_MS * 1000,
      idleTimeoutUs: config.STREAM_PROCESSOR_IDLE_TAG_MS * 1000,
    });
    const registers = [observability.metrics];
    this.metrics = {
      messages: new Counter({
        name: 'millrace_processor_messages_total',
        help: 'Kafka messages consumed',
        labelNames: ['topic'],
        registers,
      }),
      rows: new Counter({
        name: 'millrace_processor_rows_written_total',
        help: 'Rows acknowledged by QuestDB',
        labelNames: ['table'],
        registers,
      }),
      deadLetters: new Counter({
        name: 'millrace_processor_dead_letters_total',
        help: 'Messages sent to a dead-letter topic',
        labelNames: ['topic'],
        registers,
      }),
      samples: new Counter({
        name: 'millrace_processor_samples_total',
        help: 'Samples by event-time lateness: on_time, late (within the allowed lateness) or too_late',
        labelNames: ['lateness'],
        registers,
      }),
      writeSeconds: new Histogram({
        name: 'millrace_processor_write_seconds',
        help: 'ILP write until QuestDB acknowledged',
        labelNames: ['table'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
      sourceLagSeconds: new Gauge({
        name: 'millrace_processor_source_lag_seconds',
        help: 'Now minus the newest source timestamp of the last acknowledged samples batch',
        registers,
      }),
      consumerLag: new Gauge({
        name: 'millrace_processor_consumer_lag',
        help: 'Messages behind the partition end, per consumer group and partition',
        labelNames: ['group', 'topic', 'partition'],
        registers,
      }),
    };
  }

  private readonly mappings: StoreMapping[] = storeMappings(this.types, (batch: SampleBatch) => {
    const counts = this.tagStats.of(batch.tag);
    const before = { ...counts };
    for (const ts of batch.ts) this.tagStats.count(counts, this.windows.add(batch.tag, ts, 0));
    this.metrics.samples.inc({ lateness: 'on_time' }, counts.onTime - before.onTime);
    this.metrics.samples.inc({ lateness: 'late' }, counts.late - before.late);
    this.metrics.samples.inc({ lateness: 'too_late' }, counts.tooLate - before.tooLate);
    this.windows.takeUpdates(); // evicts closed windows; the aggregates themselves are QuestDB's job
  });

  groupId(mapping: StoreMapping): string {
    return `${this.config.STREAM_PROCESSOR_GROUP_PREFIX}.${mapping.group}`;
  }

  async start(): Promise<void> {
    const { logger } = this.observability;
    await ensureTopics(this.kafka);
    const client = new QueryClient({ pgUrl: this.config.MILLRACE_QUESTDB_PG_URL, maxConnections: 1 });
    try {
      await migrate(client);
    } finally {
      await client.end();
    }
    this.writer = await IlpWriter.connect({ httpUrl: this.config.MILLRACE_QUESTDB_URL });
    await this.producer.connect();
    for (const mapping of this.mappings) this.runners.push(await this.run(mapping));
    this.observability.health.register('kafka-consumers', () => this.runners.length > 0);
    this.lagTimer = setInterval(
      () => void this.updateLag().catch(() => undefined),
      this.config.STREAM_PROCESSOR_LAG_INTERVAL_MS,
    );
    this.lagTimer.unref();
    setInterval(() => this.windows.closeIdle(nowUs()), 10_000).unref();
    this.tagStatsTimer = setInterval(
      () => void this.flushTagStats(),
      this.config.STREAM_PROCESSOR_TAG_STATS_INTERVAL_MS,
    );
    this.tagStatsTimer.unref();
    logger.info({ groups: this.runners.length }, 'stream processor consuming');
  }

  private async run(mapping: StoreMapping): Promise<ConsumerRunner> {
    const writer = this.writer!;
    const topic = mapping.spec.name;
    return runConsumer({
      kafka: this.kafka,
      groupId: this.groupId(mapping),
      spec: mapping.spec,
      producer: this.producer,
      logger: this.observability.logger,
      fromBeginning: this.config.STREAM_PROCESSOR_START_AT === 'earliest',
      partitionsConsumedConcurrently: this.config.STREAM_PROCESSOR_PARTITIONS_CONCURRENTLY,
      maxBytesPerPartition: this.config.STREAM_PROCESSOR_MAX_BYTES_PER_PARTITION,
      handler: async (messages, context) => {
        this.metrics.messages.inc({ topic }, messages.length);
        const { writes, rejected, newestSourceTs } = mapping.map(messages.map((message) => message.value));
        for (const write of writes) {
          const table = write.table.name;
          const stopTimer = this.metrics.writeSeconds.startTimer({ table });
          const written = await writer.writeTable(write);
          stopTimer();
          this.metrics.rows.inc({ table }, written);
          await context.heartbeat();
        }
        if (newestSourceTs) this.metrics.sourceLagSeconds.set((nowUs() - newestSourceTs) / 1e6);
        return { rejected: rejected.map(({ index, reason }) => ({ message: messages[index]!, reason })) };
      },
      onBatchDone: ({ deadLetteredKeys }) => {
        if (deadLetteredKeys.length === 0) return;
        this.metrics.deadLetters.inc({ topic }, deadLetteredKeys.length);
        if (mapping.spec !== TOPICS.samples) return;
        // Samples are keyed by their tag, so a dead letter counts against the tag it claimed to be.
        for (const tag of deadLetteredKeys) if (tag) this.tagStats.of(tag).deadLetters += 1;
      },
    });
  }

  /** Writes the per-tag counts of the interval; if QuestDB refuses, they are kept for the next one. */
  private async flushTagStats(): Promise<void> {
    const rows = this.tagStats.drain(nowUs());
    if (rows.length === 0 || !this.writer) return;
    try {
      await this.writer.write(TABLES.pipelineTagStats, rows.map(tagStatsRow));
    } catch (error) {
      this.observability.logger.warn({ err: error }, 'per-tag stats not written; kept for the next interval');
      for (const row of rows) {
        const counts = this.tagStats.of(row.tag);
        counts.onTime += row.onTime;
        counts.late += row.late;
        counts.tooLate += row.tooLate;
        counts.deadLetters += row.deadLetters;
      }
    }
  }

  /** Consumer lag per partition: the partition's end offset minus the group's committed offset. */
  async updateLag(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const mapping of this.mappings) {
        const topic = mapping.spec.name;
        const groupId = this.groupId(mapping);
        const [ends, committed] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId, topics: [topic] }),
        ]);
        const partitions = committed[0]?.partitions ?? [];
        for (const end of ends) {
          const offset =
            partitions.find((partition) => partition.partition === end.partition)?.offset ?? '-1';
          const from = offset === '-1' ? Number(end.low) : Number(offset);
          // Offsets and ends are read in two requests: a commit between them can put it past the end read.
          this.metrics.consumerLag.set(
            { group: groupId, topic, partition: String(end.partition) },
            Math.max(0, Number(end.high) - from),
          );
        }
      }
    } finally {
      await admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.lagTimer);
    clearInterval(this.tagStatsTimer);
    await Promise.all(this.runners.map((runner) => runner.stop()));
    this.runners.length = 0;
    await this.flushTagStats();
    await this.producer.disconnect();
    await this.writer?.close();
  }
}

const tagStatsRow = (row: TagStatsRow) => ({
  ts: row.ts,
  tag: row.tag,
  on_time: row.onTime,
  late: row.late,
  too_late: row.tooLate,
  dead_letters: row.deadLetters,
});
