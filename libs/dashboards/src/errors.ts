/** A dashboard document, URL or shift calendar that does not parse; never retriable: the input is wrong. */
export class DashboardError extends Error {
  readonly retriable = false;

  constructor(
    message: string,
    readonly context: { readonly dashboard?: string; readonly field?: string } = {},
  ) {
    super(message);
    this.name = 'DashboardError';
  }
}
