import type { z } from 'zod';
import { decodeSampleBatchBinary, isSampleBatchBinary } from './sample-batch-binary.js';
import type { TopicSpec } from './topics.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * Decodes a message's bytes against its topic's schema. Never throws: a refusal carries a reason
 * fit for a dead-letter envelope (the JSON error, or each failing field with its path). A binary
 * sample batch (`sample-batch-binary.ts`) is read as the JSON it stands for and checked the same way.
 */
export function decodeMessage<Spec extends TopicSpec>(
  spec: Spec,
  bytes: Uint8Array | null,
): Decoded<z.output<Spec['schema']>> {
  if (bytes === null) return { ok: false, reason: `${spec.name}: message has no value (tombstone)` };
  let json: unknown;
  if (isSampleBatchBinary(bytes)) {
    try {
      json = decodeSampleBatchBinary(bytes);
    } catch (error) {
      return { ok: false, reason: `${spec.name}: ${(error as Error).message}` };
    }
  } else {
    try {
      json = JSON.parse(decoder.decode(bytes));
    } catch (error) {
      return { ok: false, reason: `${spec.name}: not UTF-8 JSON: ${(error as Error).message}` };
    }
  }
  const parsed = spec.schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `${spec.name}: ${describeIssues(parsed.error)}` };
  return { ok: true, value: parsed.data as z.output<Spec['schema']> };
}

/** Validates then encodes, so a producer cannot publish what its own consumers would refuse. */
export function encodeMessage<Spec extends TopicSpec>(
  spec: Spec,
  message: z.input<Spec['schema']>,
): Uint8Array {
  const parsed = spec.schema.safeParse(message);
  if (!parsed.success) throw new TypeError(`${spec.name}: ${describeIssues(parsed.error)}`);
  return encoder.encode(JSON.stringify(message));
}

/** `path.to.field: message; other: message` — the failing fields, for 4xx bodies and DLQ reasons. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
