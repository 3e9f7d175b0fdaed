import { describe, expect, it } from 'vitest';
import { resolveRaw, TimeState } from './time.svelte.js';

describe('time state', () => {
  const now = Date.parse('2026-03-29T12:00:00Z');

  it('resolves relative ranges in the plant zone at one now, ALL from the first sample', () => {
    expect(resolveRaw({ from: 'now-1d/d', to: 'now/d' }, now, 'Europe/Berlin', undefined)).toEqual({
      // 29 March 2026 is the spring DST day in Berlin: yesterday 00:00 CET to tonight 24:00 CEST
      from: Date.parse('2026-03-27T23:00:00Z'),
      to: Date.parse('2026-03-29T22:00:00Z'),
    });
    expect(resolveRaw({ from: 'all', to: 'now' }, now, 'UTC', 1_000)).toEqual({ from: 1_000, to: now });
    expect(resolveRaw({ from: 'now', to: 'now-1h' }, now, 'UTC', undefined)).toHaveProperty('error');
  });

  it('zoom history: Ctrl+Z returns to the range before the last zoom, then doubles the span', () => {
    const time = new TimeState();
    time.raw = { from: 'now-1h', to: 'now' };
    const zoomed = time.zoomTo(1_000_000, 2_000_000);
    expect(zoomed).toEqual({ from: '1000000', to: '2000000' });
    time.raw = zoomed;
    expect(time.zoomBack()).toEqual({ from: 'now-1h', to: 'now' });
    const out = time.zoomBack()!;
    expect(Number(out.to) - Number(out.from)).toBe(2_000_000);
  });
});
