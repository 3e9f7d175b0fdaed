import type { QueryApiConfig } from '@millrace/config';
import type { QueryClient } from '@millrace/questdb';
import { ALL_TOPICS, TABLES } from '@millrace/schema';
import { epochUs, msToUs, usToIso, type EpochMs, type EpochUs } from '@millrace/time';
import type { Admin } from 'kafkajs';
import type { TagCatalog } from '../tags/tag-catalog.js';
import type { TagHealthResponse } from './health.api.js';
import { parsePrometheusText, sumBy, type PromSample } from './prometheus.js';

const DLQ_TOPICS = ALL_TOPICS.filter((topic) => topic.name.endsWith('.dlq')).map((topic) => topic.name);

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref(),
    ),
  ]);
}

interface StatsRow extends Record<string, unknown> {
  tag: string;
  on_time: string | number;
  late: string | number;
  too_late: string | number;
  dead_letters: string | number;
}

/**
 * Per-tag figures from QuestDB: last seen and source → ingest lag from raw, lateness and dead letters
 * from the counts the stream processor writes per interval (`pipeline_tag_stats`); pipeline-wide
 * figures from its /metrics and Kafka's offsets. Each source may fail alone: its figures are null and
 * `problems` says why.
 */
export class TagHealth {
  private admin: Promise<Admin> | undefined;

  constructor(
    private readonly client: QueryClient,
    private readonly catalog: TagCatalog,
    private readonly newAdmin: () => Admin,
    private readonly config: QueryApiConfig,
  ) {}

  async read(prefix: string | undefined, now: EpochMs): Promise<TagHealthResponse> {
    const problems: string[] = [];
    const timeout = this.config.QUERY_API_HEALTH_PROBE_TIMEOUT_MS;
    const since = usToIso(epochUs(msToUs(now) - this.config.QUERY_API_HEALTH_LOOKBACK_MS * 1_000));
    const [latest, catalog, gaps, metrics, dlq, stats] = await Promise.all([
      this.client.query<{ tag: string; ts: EpochUs; ingest_ts: EpochUs | null; source: string | null }>(
        `SELECT tag, ts, ingest_ts, source FROM ${TABLES.samples.name} WHERE ts >= $1 LATEST ON ts PARTITION BY tag`,
        [since],
      ),
      this.catalog.entries(now),
      this.client.query<{ ts: EpochUs; endpoint: string; source: string; end_ts: EpochUs | null }>(
        `SELECT ts, endpoint, source, end_ts FROM ${TABLES.ingestGaps.name} LATEST ON ts PARTITION BY endpoint`,
      ),
      withTimeout(this.scrape(timeout), timeout, 'stream processor /metrics').catch((error: Error) => {
        problems.push(
          error.message.startsWith('stream processor')
            ? error.message
            : `stream processor /metrics: ${error.message}`,
        );
        return undefined;
      }),
      withTimeout(this.deadLetterCounts(), timeout, 'Kafka dead-letter offsets').catch((error: Error) => {
        problems.push(`Kafka dead-letter offsets: ${error.message}`);
        return null;
      }),
      this.client
        .query<StatsRow>(
          `SELECT tag, sum(on_time) AS on_time, sum(late) AS late, sum(too_late) AS too_late, ` +
            `sum(dead_letters) AS dead_letters FROM ${TABLES.pipelineTagStats.name} WHERE ts >= $1 GROUP BY tag`,
          [since],
        )
        .catch((error: Error) => {
          problems.push(`per-tag counts (${TABLES.pipelineTagStats.name}): ${error.message}`);
          return undefined;
        }),
    ]);
    const statsByTag = stats && new Map(stats.map((row) => [row.tag, row]));
    const counted = (tag: string, column: keyof Omit<StatsRow, 'tag'>) =>
      statsByTag ? Number(statsByTag.get(tag)?.[column] ?? 0) : null;
    const byTag = new Map(latest.map((row) => [row.tag, row]));
    const names = new Set([...catalog.keys(), ...byTag.keys(), ...(statsByTag?.keys() ?? [])]);
    const tags = [...names]
      .filter((tag) => prefix === undefined || tag.startsWith(prefix))
      .sort()
      .map((tag) => {
        const row = byTag.get(tag);
        return {
          tag,
          source: row?.source ?? catalog.get(tag)?.source ?? null,
          lastSeen: row ? usToIso(row.ts) : (catalog.get(tag)?.lastTs ?? null),
          ingestLagMs: row?.ingest_ts == null ? null : (row.ingest_ts - row.ts) / 1_000,
          onTimeSamples: counted(tag, 'on_time'),
          lateSamples: counted(tag, 'late'),
          droppedSamples: counted(tag, 'too_late'),
          deadLetters: counted(tag, 'dead_letters'),
        };
      });
    const writeSum = metrics && sumBy(metrics, 'millrace_processor_write_seconds_sum', 'table');
    const writeCount = metrics && sumBy(metrics, 'millrace_processor_write_seconds_count', 'table');
    const total = (record: Record<string, number> | undefined) =>
      Object.values(record ?? {}).reduce((a, b) => a + b, 0);
    const sourceLag = metrics?.find((sample) => sample.name === 'millrace_processor_source_lag_seconds');
    return {
      generatedAt: usToIso(msToUs(now)),
      tags,
      pipeline: {
        processorReachable: metrics !== undefined,
        samples: metrics ? sumBy(metrics, 'millrace_processor_samples_total', 'lateness') : null,
        deadLettersByTopic: metrics ? sumBy(metrics, 'millrace_processor_dead_letters_total', 'topic') : null,
        consumerLagByTopic: metrics ? sumBy(metrics, 'millrace_processor_consumer_lag', 'topic') : null,
        questdbWriteSecondsAvg:
          total(writeCount ?? undefined) > 0
            ? total(writeSum ?? undefined) / total(writeCount ?? undefined)
            : null,
        sourceLagSeconds: sourceLag?.value ?? null,
        deadLetterTopics: dlq,
        // An outage row gets its end_ts when the source is back; the newest row per endpoint tells.
        openGaps: gaps
          .filter((gap) => gap.end_ts === null)
          .map((gap) => ({ endpoint: gap.endpoint, source: gap.source, since: usToIso(gap.ts) })),
        problems,
      },
    };
  }

  private async scrape(timeoutMs: number): Promise<PromSample[]> {
    const url = new URL('/metrics', this.config.QUERY_API_STREAM_PROCESSOR_URL);
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`stream processor /metrics: HTTP ${response.status}`);
    return parsePrometheusText(await response.text());
  }

  private async deadLetterCounts(): Promise<{ topic: string; messages: number }[]> {
    this.admin ??= (async () => {
      const admin = this.newAdmin();
      await admin.connect();
      return admin;
    })();
    let admin: Admin;
    try {
      admin = await this.admin;
    } catch (error) {
      this.admin = undefined; // try again next time
      throw error;
    }
    return Promise.all(
      DLQ_TOPICS.map(async (topic) => {
        const offsets = await admin.fetchTopicOffsets(topic);
        return { topic, messages: offsets.reduce((sum, partition) => sum + Number(partition.high), 0) };
      }),
    );
  }

  async close(): Promise<void> {
    const admin = await this.admin?.catch(() => undefined);
    await admin?.disconnect();
  }
}
