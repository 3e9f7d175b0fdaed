/** Base error of the spool: `retriable` says whether trying the same call later can succeed. */
export class SpoolError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly context: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SpoolError';
  }
}

/** The spool holds `maxBytes` already: the append is refused, nothing of it was written. */
export class SpoolFullError extends SpoolError {
  constructor(dir: string, diskBytes: number, maxBytes: number, wanted: number) {
    super(
      `spool ${dir} is full: ${diskBytes} of ${maxBytes} bytes used, ${wanted} more refused (raise SPOOL_MAX_BYTES or bring Kafka back)`,
      true,
      { dir, diskBytes, maxBytes, wanted },
    );
    this.name = 'SpoolFullError';
  }
}
