/** Base error of the Kafka lib: `retriable` decides whether a runner retries, and `context` says where. */
export class KafkaPipelineError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly context: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KafkaPipelineError';
  }
}

/** True only for errors that say so: a handler's unknown failure is not retried forever by accident. */
export function isRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}
