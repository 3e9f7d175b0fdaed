import { epochUs, isoToUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { RESOLUTION_US, RESOLUTIONS, windowEnd, windowStart } from './resolution.js';

describe('windowStart', () => {
  it('puts a sample exactly on a boundary in the window that starts there', () => {
    for (const resolution of RESOLUTIONS) {
      const boundary = 1_736_809_200 * 1_000_000; // 2025-01-13T23:00:00Z, a boundary of every resolution
      expect(windowStart(epochUs(boundary), resolution)).toBe(boundary);
      expect(windowEnd(epochUs(boundary), resolution)).toBe(boundary + RESOLUTION_US[resolution]);
    }
  });

  it('puts a sample one microsecond before a boundary in the previous window', () => {
    for (const resolution of RESOLUTIONS) {
      const size = RESOLUTION_US[resolution];
      const boundary = 1_736_809_200 * 1_000_000;
      expect(windowStart(epochUs(boundary - 1), resolution)).toBe(boundary - size);
      expect(windowEnd(epochUs(boundary - 1), resolution)).toBe(boundary);
    }
  });

  it('aligns to UTC whatever the machine zone (tests run in Pacific/Easter)', () => {
    const ts = isoToUs('2025-01-13T22:56:40.123456Z');
    expect(windowStart(ts, '1s')).toBe(isoToUs('2025-01-13T22:56:40Z'));
    expect(windowStart(ts, '1m')).toBe(isoToUs('2025-01-13T22:56:00Z'));
    expect(windowStart(ts, '1h')).toBe(isoToUs('2025-01-13T22:00:00Z'));
  });

  it('floors at and near the epoch, and before it', () => {
    expect(windowStart(epochUs(0), '1s')).toBe(0);
    expect(windowStart(epochUs(999_999), '1s')).toBe(0);
    expect(windowStart(epochUs(1_000_000), '1s')).toBe(1_000_000);
    expect(windowStart(epochUs(-1), '1s')).toBe(-1_000_000);
    expect(windowStart(epochUs(-1_000_000), '1s')).toBe(-1_000_000);
    expect(windowStart(epochUs(-3_600_000_001), '1h')).toBe(-7_200_000_000);
  });

  it('is a floor for every instant: start <= ts < start + width, start a multiple of the width', () => {
    let ts = 1;
    for (let i = 0; i < 2000; i++) {
      ts = (ts * 48_271) % 2_147_483_647;
      const instant = ts * 997_331; // spreads over about 68 years of microseconds
      for (const resolution of RESOLUTIONS) {
        const start = windowStart(epochUs(instant), resolution);
        expect(start % RESOLUTION_US[resolution]).toBe(0);
        expect(start <= instant && instant < start + RESOLUTION_US[resolution]).toBe(true);
      }
    }
  });
});
