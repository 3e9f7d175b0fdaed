export { KafkaPipelineError, isRetriable } from './errors.js';
export {
  createKafka,
  STORE_AND_FORWARD_RETRY,
  type KafkaClientOptions,
  type KafkaRetryOptions,
} from './client.js';
export { ensureTopics, type EnsureTopicsResult } from './admin.js';
export {
  PipelineProducer,
  PipelineSender,
  type OutgoingMessage,
  type RefusedMessage,
  type TopicMessages,
} from './producer.js';
export {
  runConsumer,
  type BatchContext,
  type BatchHandler,
  type BatchOutcome,
  type ConsumedMessage,
  type ConsumerRunner,
  type ConsumerRunnerOptions,
} from './consumer.js';
export { offsetRangesForTimes, rangeSize, readRanges, type PartitionRange } from './replay.js';
export { TagAnnouncer, type TagDescription } from './tag-announcer.js';
export { readLatestByKey } from './compacted.js';
