import { describe, expect, it } from 'vitest';
import { nextStep, retriableStatus } from './retry-policy.js';

const policy = { maxAttempts: 5, initialMs: 1_000, maxMs: 8_000 };
const down = { retriable: true, reason: 'ECONNREFUSED' };

describe('outbox retry policy', () => {
  it('backs off exponentially up to the cap', () => {
    const delays = [1, 2, 3, 4].map((attempt) => nextStep(attempt, down, policy, () => 1));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000].map((delayMs) => ({ action: 'retry', delayMs })));
    expect(nextStep(3, down, { ...policy, maxAttempts: 50 }, () => 1)).toEqual({
      action: 'retry',
      delayMs: 4_000,
    });
    expect(nextStep(20, down, { ...policy, maxAttempts: 50 }, () => 1)).toEqual({
      action: 'retry',
      delayMs: 8_000,
    });
  });

  it('jitters between half and all of the delay', () => {
    expect(nextStep(2, down, policy, () => 0)).toEqual({ action: 'retry', delayMs: 1_000 });
  });

  it('dead-letters after maxAttempts', () => {
    expect(nextStep(5, down, policy)).toEqual({
      action: 'dead-letter',
      reason: '5 attempts failed; last: ECONNREFUSED',
    });
  });

  it('dead-letters a refusal at once', () => {
    expect(nextStep(1, { retriable: false, reason: 'HTTP 400' }, policy)).toEqual({
      action: 'dead-letter',
      reason: 'refused by the MES: HTTP 400',
    });
  });

  it('retries 5xx, 408 and 429 only', () => {
    expect([500, 503, 408, 429, 400, 401, 404, 422].map(retriableStatus)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
