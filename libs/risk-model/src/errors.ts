/** Base error of the risk-model lib: `retriable` says whether trying the same thing later can succeed. */
export class RiskModelError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly context: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RiskModelError';
  }
}
