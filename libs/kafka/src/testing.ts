import { randomUUID } from 'node:crypto';
import type { TopicSpec } from '@millrace/schema';

/** A copy of a topic spec under a unique name, so each test has a topic of its own (kafkajs's habit). */
export function uniqueTopic<Spec extends TopicSpec>(spec: Spec, label: string): Spec {
  return { ...spec, name: `test.${label}.${randomUUID().slice(0, 8)}.${spec.name}` };
}

/** Polls `check` until it returns true; tests wait this way, never by sleeping a fixed time. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
