/** Base error of ingest-files: `retriable` says whether waiting and trying again can help (Kafka down) or not (a bug). */
export class IngestFilesError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly context: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IngestFilesError';
  }
}
