/** Polls `probe` until it resolves true; rejects with the last probe error after `timeoutMs`, or when `abort` fires. */
export async function pollUntil(
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal; describe: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 250;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      if (await probe()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    options.signal?.throwIfAborted();
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(
        `${options.describe} did not succeed within ${Math.round(options.timeoutMs / 1000)} s${reason}`,
      );
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), options.signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
