import { Prng } from '@millrace/plant-sim';
import type { MachineCommand, ProductionOrder } from '@millrace/schema';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Bridge } from './bridge.js';
import { MES_ROUTES } from './http/api.js';
import { OrderBook } from './orders/order-book.js';
import { startBridge, untilReady, type TestBridge } from './testing/bridge.js';

/**
 * Bad input never crashes the bridge or leaks a 5xx, and a refused request stores nothing: at least
 * 10k seeded random and malformed requests over every route. The two sinks (Kafka sends of orders and
 * commands) are recorded instead of sent, so the check is exact and the shared topics stay clean.
 */
const stack = inject('stack');
const SEED = 20_261_122;
const REQUESTS_PER_ROUTE = 1_300;

const VALID_BODIES: Record<string, () => Record<string, unknown>> = {
  '/api/mes/orders': () => ({
    orderId: 'fuzz-1',
    line: 'fuzz-line',
    product: 'High Capacity Cell',
    quantity: 10,
    state: 'released',
  }),
  '/api/mes/orders/{orderId}/state': () => ({ state: 'running', ts: new Date().toISOString() }),
  '/api/mes/commands': () => ({
    machine: 'CAS_01',
    setpoint: 'speed_setpoint',
    value: 950,
    reason: 'fuzz',
    dryRun: true,
  }),
};

/** Percent-encodes every byte (lone surrogates become U+FFFD, as a client's UTF-8 encoder makes them). */
const percent = (text: string): string =>
  [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

/** A small seeded generator of hostile JSON values (fast-check is not installed). */
class Hostile {
  constructor(private readonly random: Prng) {}

  scalar(): unknown {
    const r = this.random;
    const choices: (() => unknown)[] = [
      () => null,
      () => r.chance(0.5),
      () => r.int(-1e6, 1e6),
      () => r.normal(0, 1e12),
      () => [0, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 1e-300, 0.1][r.int(0, 6)],
      () => '',
      () => ' ',
      () => 'x'.repeat(r.int(100, 5_000)),
      () =>
        ['2025-07-01T10:00:00Z', '2025-13-45T99:00:00Z', '1999-01-01T00:00:00+25:00', 'now', '1e9', 'NaN'][
          r.int(0, 5)
        ],
      () => ['released', 'running', 'completed', 'aborted', 'RUNNING', 'paused'][r.int(0, 5)],
      () => '\u0000\ud800\uffff🔋<script>',
      () => '../../etc/passwd',
      () => "' OR 1=1; DROP TABLE orders; --",
      () => ({ $gt: '' }),
      () => ['__proto__', 'constructor', 'prototype'][r.int(0, 2)],
    ];
    return choices[r.int(0, choices.length - 1)]!();
  }

  value(depth = 0): unknown {
    const r = this.random;
    if (depth > 3 || r.chance(0.6)) return this.scalar();
    if (r.chance(0.5)) return Array.from({ length: r.int(0, 5) }, () => this.value(depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = r.int(0, 5); i > 0; i -= 1)
      object[String(this.scalar()).slice(0, 20)] = this.value(depth + 1);
    return object;
  }

  /** A valid body, mutated one to three times; or anything at all. */
  body(valid: Record<string, unknown>): unknown {
    const r = this.random;
    if (r.chance(0.15)) return this.value();
    const body: Record<string, unknown> = { ...valid };
    const keys = Object.keys(valid);
    for (let n = r.int(1, 3); n > 0; n -= 1) {
      const key = keys[r.int(0, keys.length - 1)]!;
      const kind = r.int(0, 3);
      if (kind === 0) delete body[key];
      else if (kind === 1) body[key] = this.value();
      else if (kind === 2) body[String(this.scalar()).slice(0, 30)] = this.value();
      else body[key] = this.scalar();
    }
    if (r.chance(0.05)) body.__proto__ = { quantity: 5 };
    return body;
  }

  /** Bytes that are not the JSON they claim to be. */
  raw(): string {
    const r = this.random;
    const samples = [
      '{',
      '{"orderId":',
      'null',
      '[]',
      '"text"',
      '{"a":1}}',
      '\u0000',
      '{"quantity": 1e999}',
      'NaN',
      '{"x":'.repeat(200),
    ];
    return samples[r.int(0, samples.length - 1)]!;
  }

  query(): string {
    const r = this.random;
    const keys = ['state', 'line', 'limit', 'at', 'from', 'to', 'x', 'limit[]'];
    return Array.from(
      { length: r.int(0, 4) },
      () => `${keys[r.int(0, keys.length - 1)]}=${percent(String(this.scalar()).slice(0, 300))}`,
    ).join('&');
  }
}

describe('bad input at every route', () => {
  let bridge: TestBridge;
  const sentOrders: ProductionOrder[] = [];
  const sentCommands: MachineCommand[] = [];

  beforeAll(async () => {
    bridge = await startBridge(stack);
    await untilReady(bridge);
    const core = bridge.app.get(Bridge);
    core.publishOrder = (order) => {
      sentOrders.push(order);
      return Promise.resolve();
    };
    core.queueCommand = (command) => {
      sentCommands.push(command);
      return Promise.resolve();
    };
  });

  afterAll(async () => {
    await bridge?.close();
  });

  it(`answers ${MES_ROUTES.length} routes x ${REQUESTS_PER_ROUTE} hostile requests with 2xx/4xx only, storing nothing refused`, async () => {
    const hostile = new Hostile(new Prng(SEED));
    const random = new Prng(SEED + 1);
    const book = bridge.app.get(OrderBook);
    const tokens = [bridge.tokens.admin, bridge.tokens.mes, bridge.tokens.operator, bridge.tokens.engineer];
    const statuses = new Map<number, number>();
    let requests = 0;
    for (const route of MES_ROUTES) {
      for (let i = 0; i < REQUESTS_PER_ROUTE; i += 1) {
        const orderId = random.chance(0.5) ? 'fuzz-1' : String(hostile.scalar()).slice(0, 200);
        const path = route.path.replace('{orderId}', percent(orderId) || 'x');
        const headers: Record<string, string> = {
          authorization: `Bearer ${tokens[random.int(0, tokens.length - 1)]}`,
        };
        if (random.chance(0.2))
          headers['idempotency-key'] = random.chance(0.5)
            ? `k${random.int(0, 20)}`
            : String(hostile.scalar()).slice(0, 300);
        let payload: string | undefined;
        if (route.method === 'post') {
          const raw = random.chance(0.1);
          payload = raw ? hostile.raw() : JSON.stringify(hostile.body(VALID_BODIES[route.path]!()));
          headers['content-type'] = random.chance(0.05) ? 'text/plain' : 'application/json';
        }
        const before = {
          orders: JSON.stringify(book.all()),
          sentOrders: sentOrders.length,
          sentCommands: sentCommands.length,
        };
        const query = route.method === 'get' ? hostile.query() : '';
        const response = await bridge.app.inject({
          method: route.method === 'post' ? 'POST' : 'GET',
          url: `${path}${query ? `?${query}` : ''}`,
          headers,
          ...(payload === undefined ? {} : { payload }),
        });
        requests += 1;
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        const what = `${route.method} ${path} ${payload?.slice(0, 300)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, what).toBeLessThan(500);
        if (response.statusCode >= 400) {
          expect(JSON.stringify(book.all()), what).toBe(before.orders);
          expect(sentOrders.length, what).toBe(before.sentOrders);
          expect(sentCommands.length, what).toBe(before.sentCommands);
          if (response.statusCode === 400)
            expect(() => JSON.parse(response.body) as unknown, what).not.toThrow();
        }
      }
    }
    expect(requests).toBeGreaterThanOrEqual(10_000);
    // The generator reaches both sides: some requests pass, most are refused.
    expect([...statuses.keys()].some((status) => status < 300)).toBe(true);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(requests / 4);
    // Still alive and answering.
    expect((await bridge.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  }, 600_000);
});
