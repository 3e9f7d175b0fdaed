/** How the outbox retries one item. */
export interface RetryPolicy {
  maxAttempts: number;
  initialMs: number;
  maxMs: number;
}

export type DeliveryFailure = { retriable: boolean; reason: string };

export type NextStep = { action: 'retry'; delayMs: number } | { action: 'dead-letter'; reason: string };

/**
 * After the `attempts`-th failed delivery of an item: wait and retry (exponential backoff, capped,
 * with jitter in [50 %, 100 %] so many bridges do not hammer a recovering MES in step), or give up.
 * A refusal the MES will repeat (4xx other than 408/429) is dead-lettered at once: retrying it only
 * holds up the items behind it.
 */
export function nextStep(
  attempts: number,
  failure: DeliveryFailure,
  policy: RetryPolicy,
  random: () => number = Math.random,
): NextStep {
  if (!failure.retriable) return { action: 'dead-letter', reason: `refused by the MES: ${failure.reason}` };
  if (attempts >= policy.maxAttempts) {
    return { action: 'dead-letter', reason: `${attempts} attempts failed; last: ${failure.reason}` };
  }
  const exponential = Math.min(policy.maxMs, policy.initialMs * 2 ** (attempts - 1));
  return { action: 'retry', delayMs: Math.round(exponential * (0.5 + random() / 2)) };
}

/** Whether an HTTP status from the MES is worth retrying. */
export function retriableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
