/** Base error of the QuestDB lib: `retriable` tells a runner whether trying again can help. */
export class QuestDbError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly context: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'QuestDbError';
  }
}
