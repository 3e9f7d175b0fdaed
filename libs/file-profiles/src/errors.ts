/** Base error of the file-profiles lib: a bad profile or a file its profile cannot read. Never retriable. */
export class FileProfileError extends Error {
  readonly retriable = false;

  constructor(
    message: string,
    readonly context: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FileProfileError';
  }
}
