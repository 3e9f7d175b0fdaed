import { z } from 'zod';
import { addressesShape } from '../addresses.js';
import { configField } from '../fields.js';

export const streamProcessorConfigSchema = z.object({
  ...addressesShape,
  STREAM_PROCESSOR_PORT: configField.port(8090),
  /** Consumer groups are `<prefix>.<topic family>`; run more processes with the same prefix to scale out. */
  STREAM_PROCESSOR_GROUP_PREFIX: configField.string('millrace-stream-processor'),
  /** Where a group with no committed offsets starts: the whole retained topic, or only what arrives next. */
  STREAM_PROCESSOR_START_AT: z.enum(['earliest', 'latest']).default('earliest'),
  STREAM_PROCESSOR_PARTITIONS_CONCURRENTLY: configField.integer(3, 1, 64),
  /** Samples older than their tag's newest by more than this are counted as too late (they are still stored). */
  STREAM_PROCESSOR_ALLOWED_LATENESS_MS: configField.integer(5_000, 0),
  /** A tag silent this long has its windows closed, so its lateness state is released. */
  STREAM_PROCESSOR_IDLE_TAG_MS: configField.integer(300_000, 1_000),
  STREAM_PROCESSOR_LAG_INTERVAL_MS: configField.integer(5_000, 500),
  /** Per-tag lateness and dead-letter counts are written to `pipeline_tag_stats` this often. */
  STREAM_PROCESSOR_TAG_STATS_INTERVAL_MS: configField.integer(10_000, 100),
  /** Largest fetch per partition; with one ILP request per batch it also bounds a request's size. */
  STREAM_PROCESSOR_MAX_BYTES_PER_PARTITION: configField.integer(1_048_576, 65_536), // 1 MiB
});

export type StreamProcessorConfig = Readonly<z.infer<typeof streamProcessorConfigSchema>>;
