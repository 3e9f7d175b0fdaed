import { isoToUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { parseWireTimestamp } from './wire-timestamp.js';

describe('parseWireTimestamp', () => {
  it.each([
    ['2025-01-13 22:56:40.123456', '2025-01-13T22:56:40.123456Z'],
    ['2025-01-13 22:56:40', '2025-01-13T22:56:40Z'],
    ['2025-01-13 22:56:40.1', '2025-01-13T22:56:40.100000Z'],
    ['2024-02-29 00:00:00.000001', '2024-02-29T00:00:00.000001Z'],
    ['1969-12-31 23:59:59.999999', '1969-12-31T23:59:59.999999Z'],
    ['2100-03-01 12:00:00.5Z', '2100-03-01T12:00:00.500000Z'],
    ['2026-03-29 01:30:00+00', '2026-03-29T01:30:00Z'],
    ['2026-10-25T01:30:00.000000Z', '2026-10-25T01:30:00Z'],
  ])('reads %s as the ISO parser does', (wire, iso) => {
    expect(parseWireTimestamp(wire)).toBe(isoToUs(iso));
  });

  it('agrees with the ISO parser across four centuries of random instants', () => {
    let state = 7;
    const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2_000; i++) {
      const ms = Math.floor((next() - 0.5) * 2 * 12_600_000_000_000);
      const micros = Math.floor(next() * 1000);
      const iso = new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
      const wire = iso.replace('T', ' ').replace('Z', '');
      expect(parseWireTimestamp(wire)).toBe(isoToUs(iso));
    }
  });

  it('refuses text that is not a timestamp', () => {
    expect(() => parseWireTimestamp('2025-13-01 00:00:00')).toThrow(RangeError);
    expect(() => parseWireTimestamp('not a time')).toThrow(RangeError);
  });
});
