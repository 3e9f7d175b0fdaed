/** One configuration key that failed validation, named as the operator writes it. */
export interface ConfigIssue {
  key: string;
  message: string;
}

/** Thrown at start-up when the configuration is invalid; lists every invalid key, not just the first. */
export class ConfigError extends Error {
  readonly retriable = false;

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration:\n${issues.map((issue) => `  - ${issue.key}: ${issue.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}
