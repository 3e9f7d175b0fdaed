/** Base error of the OPC UA mapping: `retriable` says whether trying again (e.g. after a reconnect) can succeed. */
export class OpcuaMappingError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly context: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
    this.name = 'OpcuaMappingError';
  }
}
