import type { CellOrder } from './cells.js';

/** An order as the simulated MES lists it (the shape the MES bridge takes, ISO instants). */
export interface MesOrder {
  orderId: string;
  line: string;
  product: string;
  quantity: number;
  state: 'released' | 'running' | 'completed';
  /** When the order entered `state`, ISO-8601 UTC. */
  ts: string;
}

/**
 * The simulated MES's order list, following the battery line: the order the line works on is
 * released when first seen and running from its start (after the changeover); when the line moves to
 * the next order, the previous one is completed. `version` changes with every change, for ETags.
 */
export class MesOrderFeed {
  private readonly orders: MesOrder[] = [];
  private current: string | undefined;
  private version = 0;
  private changedAtMs = 0;

  constructor(
    private readonly line: string,
    private readonly keep = 50,
  ) {}

  /** Takes the line's current order at `nowMs`; true if the list changed. */
  observe(order: Readonly<CellOrder>, nowMs: number): boolean {
    let changed = false;
    if (order.orderId !== this.current) {
      const previous = this.orders.find((entry) => entry.orderId === this.current);
      if (previous && previous.state === 'running') {
        previous.state = 'completed';
        previous.ts = iso(nowMs);
      }
      this.orders.push({
        orderId: order.orderId,
        line: this.line,
        product: order.product,
        quantity: order.quantity,
        state: 'released',
        ts: iso(Math.min(nowMs, order.startedMs)),
      });
      this.current = order.orderId;
      changed = true;
    }
    const entry = this.orders.find((candidate) => candidate.orderId === order.orderId);
    if (entry && entry.state === 'released' && nowMs >= order.startedMs) {
      entry.state = 'running';
      entry.ts = iso(order.startedMs);
      changed = true;
    }
    if (this.orders.length > this.keep) this.orders.splice(0, this.orders.length - this.keep);
    if (changed) {
      this.version += 1;
      this.changedAtMs = nowMs;
    }
    return changed;
  }

  list(): readonly MesOrder[] {
    return this.orders;
  }

  /** A strong ETag of the list (RFC 9110 section 8.8.3). */
  get etag(): string {
    return `"orders-${this.version}"`;
  }

  /** Seconds resolution, as HTTP dates have. */
  get lastModifiedMs(): number {
    return Math.floor(this.changedAtMs / 1000) * 1000;
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
