import type { TagMeta, TOPICS } from '@millrace/schema';
import { nowUs, type EpochUs } from '@millrace/time';
import type { OutgoingMessage } from './producer.js';

export type TagDescription = Omit<TagMeta, 'ts'>;

/**
 * Publishes what an ingest service knows about its tags (unit, type, expected period) to the compacted
 * `plant.tags.v1`, once per tag and process, and again only when the description changes: the catalog
 * and the charts get their units without a sample ever carrying one.
 */
export class TagAnnouncer {
  private readonly announced = new Map<string, string>();

  /** `send` puts messages on `plant.tags.v1`: a producer's send, or a store-and-forward publisher's. */
  constructor(
    private readonly send: (messages: OutgoingMessage<typeof TOPICS.tags>[]) => Promise<void>,
    private readonly now: () => EpochUs = nowUs,
  ) {}

  /** Sends the descriptions not yet announced as they are; resolves when Kafka has them. */
  async announce(descriptions: readonly TagDescription[]): Promise<number> {
    const fresh = descriptions.filter((description) => {
      return this.announced.get(description.tag) !== JSON.stringify(description);
    });
    if (fresh.length === 0) return 0;
    const ts = this.now();
    await this.send(fresh.map((description) => ({ key: description.tag, value: { ...description, ts } })));
    for (const description of fresh) this.announced.set(description.tag, JSON.stringify(description));
    return fresh.length;
  }
}
