import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { inApplyOrder, applyOrderUpdate, canTransition, type OrderUpdate } from './order-state.js';

const update = (over: Partial<OrderUpdate> = {}): OrderUpdate => ({
  orderId: '98765',
  line: 'line1',
  product: 'High Capacity Cell',
  quantity: 2000,
  state: 'released',
  ts: epochUs(1_000),
  ...over,
});

function must(decision: ReturnType<typeof applyOrderUpdate>) {
  if (!decision.ok) throw new Error(decision.reason);
  return decision;
}

describe('order state machine', () => {
  it('allows released → running → completed | aborted, and released → aborted', () => {
    expect(canTransition('released', 'running')).toBe(true);
    expect(canTransition('running', 'completed')).toBe(true);
    expect(canTransition('running', 'aborted')).toBe(true);
    expect(canTransition('released', 'aborted')).toBe(true);
    expect(canTransition('released', 'completed')).toBe(false);
    expect(canTransition('completed', 'running')).toBe(false);
    expect(canTransition('aborted', 'released')).toBe(false);
  });

  it('stamps each state it passes', () => {
    const released = must(applyOrderUpdate(undefined, update(), undefined)).order;
    expect(released).toMatchObject({ state: 'released', releasedAt: 1_000, ts: 1_000 });
    const running = must(
      applyOrderUpdate(released, update({ state: 'running', ts: epochUs(2_000) }), undefined),
    );
    expect(running.order).toMatchObject({ state: 'running', releasedAt: 1_000, startedAt: 2_000 });
    const done = must(
      applyOrderUpdate(running.order, update({ state: 'completed', ts: epochUs(3_000) }), undefined),
    );
    expect(done.order).toMatchObject({ state: 'completed', startedAt: 2_000, endedAt: 3_000, ts: 3_000 });
  });

  it('refuses a backward or skipping transition with the reason', () => {
    const released = must(applyOrderUpdate(undefined, update(), undefined)).order;
    const skip = applyOrderUpdate(released, update({ state: 'completed', ts: epochUs(2_000) }), undefined);
    expect(skip).toEqual({
      ok: false,
      reason: expect.stringMatching(/released; it cannot become completed \(only running or aborted\)/),
    });
    const done = { ...released, state: 'completed' as const };
    const back = applyOrderUpdate(done, update({ state: 'running', ts: epochUs(5_000) }), undefined);
    expect(back).toEqual({ ok: false, reason: expect.stringMatching(/completed is final/) });
  });

  it('is idempotent for the same state and data, and refuses going back in time', () => {
    const released = must(applyOrderUpdate(undefined, update(), undefined)).order;
    expect(applyOrderUpdate(released, update({ ts: epochUs(9_000) }), undefined)).toMatchObject({
      ok: true,
      changed: false,
    });
    const early = applyOrderUpdate(released, update({ state: 'running', ts: epochUs(500) }), undefined);
    expect(early).toMatchObject({ ok: false, reason: expect.stringMatching(/back in time/) });
  });

  it('amends product and quantity only while released, and never the line', () => {
    const released = must(applyOrderUpdate(undefined, update(), undefined)).order;
    expect(must(applyOrderUpdate(released, update({ quantity: 2500 }), undefined)).order.quantity).toBe(2500);
    const running = must(
      applyOrderUpdate(released, update({ state: 'running', ts: epochUs(2_000) }), undefined),
    ).order;
    expect(applyOrderUpdate(running, update({ state: 'running', quantity: 1 }), undefined)).toMatchObject({
      ok: false,
    });
    expect(
      applyOrderUpdate(running, update({ state: 'completed', line: 'line2', ts: epochUs(3_000) }), undefined),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/belongs to line line1/),
    });
  });

  it('refuses to start a second order on a busy line', () => {
    const other = applyOrderUpdate(undefined, update({ orderId: '98766', state: 'running' }), '98765');
    expect(other).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/line line1 is running order 98765/),
    });
    expect(applyOrderUpdate(undefined, update({ state: 'running' }), '98765')).toMatchObject({ ok: true });
  });

  it('applies a pulled snapshot endings first', () => {
    const sorted = inApplyOrder([
      update({ orderId: 'b', state: 'running', ts: epochUs(10) }),
      update({ orderId: 'a', state: 'completed', ts: epochUs(9) }),
    ]);
    expect(sorted.map((entry) => entry.orderId)).toEqual(['a', 'b']);
  });
});
