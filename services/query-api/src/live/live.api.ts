import { tagPathSchema } from '@millrace/schema';
import { z } from 'zod';

/** What a client sends: the tags it wants and how much history first. A new message replaces the subscription. */
export const subscribeSchema = z
  .object({
    subscribe: z.array(tagPathSchema).min(1).max(10_000),
    backfillSeconds: z.number().int().min(0).default(60),
  })
  .strict();
export type Subscribe = z.infer<typeof subscribeSchema>;

/**
 * Server messages. Times are epoch milliseconds (UTC, integer; sub-millisecond digits are cut);
 * string samples carry their text, numbers and booleans (0/1) a number.
 * - `backfill`: once per subscription, the last N seconds from QuestDB, one column set per tag.
 * - `samples`: live, one tag per message, only samples newer than the last one sent for that tag.
 * - `dropped`: samples this client lost because it read too slowly (sent once it has drained).
 * - `error`: a refused subscription; the connection stays open.
 */
export type LiveColumns = { tag: string; ts: number[]; values: (number | string | null)[] };
export type ServerMessage =
  | { type: 'backfill'; series: LiveColumns[] }
  | ({ type: 'samples' } & LiveColumns)
  | { type: 'dropped'; count: number }
  | { type: 'error'; message: string };
