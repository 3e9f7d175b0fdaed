/** A time expression, range or interval that cannot be resolved: the caller's input is wrong, retrying cannot help. */
export class TimeRangeError extends Error {
  readonly retriable = false;

  constructor(message: string) {
    super(message);
    this.name = 'TimeRangeError';
  }
}
