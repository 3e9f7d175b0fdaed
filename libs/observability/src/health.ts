/** A readiness check answers whether the service can do its work now (e.g. Kafka connected). */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean | string>;
}

/**
 * Liveness is "the process answers"; readiness is every registered check passing. A check that
 * throws counts as not ready and its message is reported, so /readyz says what is wrong.
 */
export class Health {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async readiness(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]): Promise<[string, boolean | string]> => {
        try {
          return [name, await check()];
        } catch (error) {
          return [name, (error as Error).message];
        }
      }),
    );
    return { ready: entries.every(([, result]) => result === true), checks: Object.fromEntries(entries) };
  }
}
