import { mkdirSync } from 'node:fs';
import { TagAnnouncer, type TagDescription } from '@millrace/kafka';
import type { BackoffOptions, Endpoint } from '@millrace/opcua-mapping';
import type { Logger } from '@millrace/observability';
import type { IlpWriter } from '@millrace/questdb';
import { TOPICS } from '@millrace/schema';
import { SampleBatcher, SpoolFullError, type SampleColumns, type SpoolingPublisher } from '@millrace/spool';
import { nowUs, type EpochUs } from '@millrace/time';
import { OPCUACertificateManager } from 'node-opcua';
import type { Registry } from 'prom-client';
import { EndpointIngestor, type EndpointState } from './endpoint-ingestor.js';
import { GapRecorder } from './gap-recorder.js';
import { registerMetrics, type IngestOpcuaMetrics } from './metrics.js';

export interface OpcuaIngestOptions {
  endpoints: readonly Endpoint[];
  /** Client certificate (made at first start, self-signed) and trust lists. */
  pkiDir: string;
  /** Accept a server certificate not in `<pki>/trusted` (and file it there). */
  trustUnknownServers: boolean;
  /** Where sample batches go: the spooling publisher (Kafka, or the disk spool while Kafka is away). */
  publisher: Pick<SpoolingPublisher, 'publish'>;
  /** Where gap events go (QuestDB `ingest_gaps`). */
  gapWriter: Pick<IlpWriter, 'write'>;
  logger: Logger;
  metrics?: Registry;
  lingerMs: number;
  batchMaxSamples: number;
  reconnect: BackoffOptions;
  connectTimeoutMs: number;
  silenceTimeoutMs: number;
  /** See INGEST_OPCUA_STARTUP_GRACE_MS; default 0: every wait for a first contact is a gap. */
  startupGraceMs?: number;
  /** Topics to produce to; tests pass unique copies. */
  topic?: typeof TOPICS.samples;
  tagsTopic?: typeof TOPICS.tags;
}

/**
 * OPC UA → Kafka: one independent {@link EndpointIngestor} per endpoint (one endpoint down or slow
 * never holds up another), their samples batched per tag into `plant.samples.v1`, their outages
 * written to `ingest_gaps`.
 */
export class OpcuaIngest {
  private readonly batcher: SampleBatcher;
  private readonly gaps: GapRecorder;
  private readonly metrics: IngestOpcuaMetrics | undefined;
  private readonly topic: typeof TOPICS.samples;
  private readonly announcer: TagAnnouncer;
  private readonly inFlight = new Set<Promise<void>>();
  private ingestors: EndpointIngestor[] = [];

  constructor(private readonly options: OpcuaIngestOptions) {
    this.metrics = options.metrics ? registerMetrics(options.metrics) : undefined;
    this.topic = options.topic ?? TOPICS.samples;
    const tagsTopic = options.tagsTopic ?? TOPICS.tags;
    this.announcer = new TagAnnouncer(async (messages) => {
      await options.publisher.publish(tagsTopic, messages);
    });
    this.batcher = new SampleBatcher(
      { lingerMs: options.lingerMs, maxSamples: options.batchMaxSamples },
      (batches) => this.deliver(batches),
    );
    this.gaps = new GapRecorder(options.gapWriter, options.logger.child({ component: 'gaps' }), this.metrics);
  }

  async start(): Promise<void> {
    mkdirSync(this.options.pkiDir, { recursive: true });
    const certificateManager = new OPCUACertificateManager({
      rootFolder: this.options.pkiDir,
      automaticallyAcceptUnknownCertificate: this.options.trustUnknownServers,
    });
    await certificateManager.initialize();
    this.ingestors = this.options.endpoints.map(
      (endpoint) =>
        new EndpointIngestor({
          endpoint,
          certificateManager,
          onSample: (tag, source, ts, value, quality) =>
            void this.batcher.add(tag, source, ts, value, quality),
          onGap: (gap) => this.gaps.record(gap),
          onDescribed: (descriptions) => void this.announce(descriptions),
          reconnect: this.options.reconnect,
          connectTimeoutMs: this.options.connectTimeoutMs,
          silenceTimeoutMs: this.options.silenceTimeoutMs,
          startupGraceMs: this.options.startupGraceMs ?? 0,
          logger: this.options.logger,
          ...(this.metrics ? { metrics: this.metrics } : {}),
        }),
    );
    for (const ingestor of this.ingestors) ingestor.start();
  }

  /** Each endpoint's state and accepted monitored items, by endpoint name. */
  get endpoints(): { name: string; state: EndpointState; monitoredItems: number }[] {
    return this.ingestors.map((ingestor) => ({
      name: ingestor.name,
      state: ingestor.state,
      monitoredItems: ingestor.monitoredItems,
    }));
  }

  /** Stops every endpoint, sends what is batched, and writes the gaps still waiting. */
  async stop(): Promise<void> {
    await Promise.all(this.ingestors.map((ingestor) => ingestor.stop()));
    await this.batcher.flush();
    await Promise.all([...this.inFlight]);
    await this.gaps.stop();
  }

  private deliver(batches: SampleColumns[]): Promise<void> {
    const work = this.publish(batches);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  /** Puts the endpoint's catalog entries (units from EngineeringUnits) on `plant.tags.v1`; never rejects. */
  private async announce(descriptions: readonly TagDescription[]): Promise<void> {
    try {
      await this.announcer.announce(descriptions);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'cannot announce tag units; retried at the next connect');
    }
  }

  /** Never rejects: a loss is counted and logged, and the samples around it go on. */
  private async publish(batches: SampleColumns[]): Promise<void> {
    const ingestTs = nowUs();
    const message = (batch: SampleColumns) => ({ key: batch.tag, value: { ...batch, ingestTs } });
    try {
      await this.options.publisher.publish(this.topic, batches.map(message));
    } catch (error) {
      if (error instanceof TypeError) {
        // The schema refused a batch: send the others one by one so only the bad one is lost.
        await Promise.all(batches.map((batch) => this.publishOne(batch, ingestTs)));
        return;
      }
      this.dropped(
        error,
        batches.reduce((sum, batch) => sum + batch.ts.length, 0),
      );
    }
  }

  private async publishOne(batch: SampleColumns, ingestTs: EpochUs): Promise<void> {
    try {
      await this.options.publisher.publish(this.topic, [{ key: batch.tag, value: { ...batch, ingestTs } }]);
    } catch (error) {
      this.dropped(error, batch.ts.length);
    }
  }

  private dropped(error: unknown, samples: number): void {
    const reason =
      error instanceof SpoolFullError ? 'spool_full' : error instanceof TypeError ? 'schema' : 'refused';
    this.metrics?.dropped.inc({ reason }, samples);
    // The publisher logs a full spool once per episode itself.
    if (reason !== 'spool_full') this.options.logger.error({ err: error, samples }, 'sample batch lost');
  }
}
