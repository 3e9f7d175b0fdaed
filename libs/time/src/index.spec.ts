import { describe, expect, it } from 'vitest';
import { epochMs, epochS, epochUs, isoToUs, msToUs, sToUs, usToIso, usToMs, usToS } from './index.js';

describe('time units', () => {
  it('converts between units without drift', () => {
    const us = epochUs(1_736_809_000_123_456);
    expect(usToMs(us)).toBe(1_736_809_000_123);
    expect(usToS(us)).toBeCloseTo(1_736_809_000.123456, 6);
    expect(msToUs(epochMs(1_736_809_000_123))).toBe(1_736_809_000_123_000);
    expect(sToUs(epochS(1.5))).toBe(1_500_000);
  });

  it('floors negative microseconds to the containing millisecond', () => {
    expect(usToMs(epochUs(-1))).toBe(-1);
  });

  it('round-trips ISO text at microsecond precision', () => {
    const iso = '2025-01-13T22:56:40.123456Z';
    expect(usToIso(isoToUs(iso))).toBe(iso);
    expect(isoToUs('2025-01-13T23:56:40+01:00')).toBe(isoToUs('2025-01-13T22:56:40Z'));
  });

  it('refuses an instant without a zone, which would be read in the machine zone', () => {
    expect(() => isoToUs('2025-01-13T22:56:40')).toThrow(RangeError);
  });
});
