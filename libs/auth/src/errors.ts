/** Base error of libs/auth: `retriable` says whether the same call can succeed later. */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly context: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuthError';
  }
}
