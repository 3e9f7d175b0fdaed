import { epochMs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { TimeRangeError } from './errors.js';
import { parseInterval } from './interval.js';
import { parseTimeExpression, resolveTimeRange, zoneOffsetsMs } from './timerange.js';

const zone = 'Europe/Berlin';
// 2026-03-30 10:15:00 in Berlin (CEST, +02:00), the day after the spring DST change.
const now = epochMs(Date.parse('2026-03-30T08:15:00Z'));
const iso = (ms: number) => new Date(ms).toISOString();

describe('parseTimeExpression', () => {
  it('resolves now and simple steps against the given now, never the clock', () => {
    expect(iso(parseTimeExpression('now', { now, zone }))).toBe('2026-03-30T08:15:00.000Z');
    expect(iso(parseTimeExpression('now-6h', { now, zone }))).toBe('2026-03-30T02:15:00.000Z');
    expect(iso(parseTimeExpression('now-90s+1m', { now, zone }))).toBe('2026-03-30T08:14:30.000Z');
  });

  it('rounds /d to the plant-local midnight, down for from and up (next midnight) for to', () => {
    expect(iso(parseTimeExpression('now/d', { now, zone }))).toBe('2026-03-29T22:00:00.000Z');
    expect(iso(parseTimeExpression('now/d', { now, zone, roundUp: true }))).toBe('2026-03-30T22:00:00.000Z');
  });

  it('steps days on the calendar: now-1d/d across the spring DST change is a 23 h day', () => {
    const from = parseTimeExpression('now-1d/d', { now, zone });
    const to = parseTimeExpression('now/d', { now, zone });
    expect(iso(from)).toBe('2026-03-28T23:00:00.000Z'); // 00:00 CET on the 29th
    expect((to - from) / 3_600_000).toBe(23);
  });

  it('rounds weeks to Monday and months to the first', () => {
    expect(iso(parseTimeExpression('now/w', { now, zone }))).toBe('2026-03-29T22:00:00.000Z'); // Monday 30th
    expect(iso(parseTimeExpression('now-1M/M', { now, zone }))).toBe('2026-01-31T23:00:00.000Z');
  });

  it('reads ISO times with an offset as given and without one as plant-local time', () => {
    expect(iso(parseTimeExpression('2026-03-29T12:00:00Z', { now, zone }))).toBe('2026-03-29T12:00:00.000Z');
    expect(iso(parseTimeExpression('2026-03-29T12:00:00', { now, zone }))).toBe('2026-03-29T10:00:00.000Z');
    expect(iso(parseTimeExpression('2026-03-29', { now, zone }))).toBe('2026-03-28T23:00:00.000Z');
    expect(parseTimeExpression('1774771200000', { now, zone })).toBe(1_774_771_200_000);
  });

  it('refuses text it cannot read, and unknown zones', () => {
    for (const bad of ['', 'yesterday', 'now-6x', 'now-', "now' OR 1=1--", '2026-13-01'])
      expect(() => parseTimeExpression(bad, { now, zone })).toThrow(TimeRangeError);
    expect(() => parseTimeExpression('now', { now, zone: 'Mars/Olympus' })).toThrow(/unknown time zone/);
  });
});

describe('resolveTimeRange', () => {
  it('keeps the raw text with the instants', () => {
    const range = resolveTimeRange({ from: 'now-7d/d', to: 'now' }, { now, zone });
    expect(range.raw).toEqual({ from: 'now-7d/d', to: 'now' });
    expect(iso(range.from)).toBe('2026-03-22T23:00:00.000Z');
    expect(range.to).toBe(now);
  });

  it('refuses from after to, naming both', () => {
    expect(() => resolveTimeRange({ from: 'now', to: 'now-1h' }, { now, zone })).toThrow(
      /from .* must be before to/,
    );
    expect(() => resolveTimeRange({ from: 'bad', to: 'now' }, { now, zone })).toThrow(/^from: /);
  });
});

describe('parseInterval', () => {
  it('accepts count + s/m/h/d and gives the nominal length', () => {
    expect(parseInterval('1d')).toEqual({ text: '1d', count: 1, unit: 'd', nominalMs: 86_400_000 });
    expect(parseInterval('8h').nominalMs).toBe(28_800_000);
  });

  it('refuses anything else', () => {
    for (const bad of ['0m', '1', 'd', '1w', '1d; drop table samples', '10000s', '-1h'])
      expect(() => parseInterval(bad)).toThrow(TimeRangeError);
  });
});

describe('zoneOffsetsMs', () => {
  it('lists winter and summer offsets', () => {
    const offsets = zoneOffsetsMs(zone, epochMs(Date.parse('2026-03-01T00:00:00Z')), now);
    expect(new Set(offsets)).toEqual(new Set([3_600_000, 7_200_000]));
    expect(zoneOffsetsMs('Asia/Kolkata', now, now)).toEqual([19_800_000]);
  });
});
