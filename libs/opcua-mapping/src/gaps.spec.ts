import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { GapTracker } from './gaps.js';

const us = (s: number) => epochUs(s * 1_000_000);

describe('GapTracker', () => {
  it('records a gap from the last contact to the restore, once per outage', () => {
    const gaps = new GapTracker('line1', 'opcua:opc.tcp://h');
    gaps.contact(us(10));
    expect(gaps.restored(us(11))).toBeUndefined(); // no outage, no gap
    expect(gaps.lost(us(15))).toBe(true); // noticed by a silence timeout 4 s after the last keep-alive
    expect(gaps.lost(us(20))).toBe(false); // a failed reconnect does not move the start
    expect(gaps.openGapStart).toBe(us(11));
    expect(gaps.restored(us(30))).toEqual({
      endpoint: 'line1',
      source: 'opcua:opc.tcp://h',
      start: us(11),
      end: us(30),
    });
    expect(gaps.openGapStart).toBeUndefined();
    gaps.lost(us(40));
    expect(gaps.restored(us(41))).toMatchObject({ start: us(30), end: us(41) });
  });

  it('starts the gap of an endpoint never reached at the first failed attempt', () => {
    const gaps = new GapTracker('e', 's');
    gaps.lost(us(5));
    expect(gaps.restored(us(9))).toMatchObject({ start: us(5), end: us(9) });
  });

  it('records no gap for an endpoint reached within the start-up grace, but one that was down longer', () => {
    const starting = new GapTracker('e', 's', 30_000_000);
    starting.lost(us(5));
    expect(starting.restored(us(11))).toBeUndefined(); // the server was still starting
    starting.lost(us(20));
    expect(starting.restored(us(22))).toMatchObject({ start: us(11), end: us(22) }); // a real outage
    const down = new GapTracker('e', 's', 30_000_000);
    down.lost(us(5));
    expect(down.restored(us(100))).toMatchObject({ start: us(5), end: us(100) });
  });
});
