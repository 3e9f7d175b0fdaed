import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { mapDataValue, qualityOf } from './data-value.js';

const now = epochUs(1_700_000_000_000_000);
const source = new Date(Date.UTC(2025, 6, 1, 10, 0, 0, 123));
const server = new Date(Date.UTC(2025, 6, 1, 10, 0, 1, 0));
const good = { value: 0 };

describe('qualityOf', () => {
  it('reads the severity bits of a StatusCode', () => {
    expect(qualityOf(0)).toBe('good');
    expect(qualityOf(0x00a2_0000)).toBe('good'); // GoodLocalOverride
    expect(qualityOf(0x4092_0000)).toBe('uncertain'); // UncertainInitialValue
    expect(qualityOf(0x8000_0000)).toBe('bad');
    expect(qualityOf(0x808a_0000)).toBe('bad'); // BadNoCommunication
  });
});

describe('mapDataValue', () => {
  it('maps a Double with its source timestamp to microseconds', () => {
    expect(
      mapDataValue(
        {
          value: { dataType: 11, value: 12.5 },
          statusCode: good,
          sourceTimestamp: source,
          serverTimestamp: server,
        },
        now,
      ),
    ).toEqual({ ok: true, ts: source.getTime() * 1000, value: 12.5, quality: 'good' });
  });

  it('falls back to the server timestamp, then to now', () => {
    const value = { dataType: 6, value: 3 };
    expect(
      mapDataValue({ value, statusCode: good, sourceTimestamp: null, serverTimestamp: server }, now),
    ).toMatchObject({
      ts: server.getTime() * 1000,
    });
    // node-opcua decodes the "no time" DateTime (0) to 1601-01-01.
    const none = new Date(Date.UTC(1601, 0, 1));
    expect(
      mapDataValue({ value, statusCode: good, sourceTimestamp: none, serverTimestamp: null }, now),
    ).toMatchObject({ ts: now });
  });

  it('maps booleans, strings, LocalizedText and 64-bit integers', () => {
    const map = (dataType: number, value: unknown) =>
      mapDataValue({ value: { dataType, value }, statusCode: good, sourceTimestamp: source }, now);
    expect(map(1, true)).toMatchObject({ value: true });
    expect(map(12, 'running')).toMatchObject({ value: 'running' });
    expect(map(12, 'x'.repeat(5000))).toMatchObject({ value: 'x'.repeat(4096) });
    expect(map(21, { text: 'Betrieb', locale: 'de' })).toMatchObject({ value: 'Betrieb' });
    expect(map(8, [0, 5])).toMatchObject({ value: 5 });
    expect(map(8, [0xffff_ffff, 0xffff_fffe])).toMatchObject({ value: -2 });
    expect(map(9, [1, 0])).toMatchObject({ value: 2 ** 32 });
    expect(map(10, 1.5)).toMatchObject({ value: 1.5 });
  });

  it('keeps the quality of an uncertain or bad value', () => {
    expect(
      mapDataValue(
        { value: { dataType: 11, value: 1 }, statusCode: { value: 0x808a_0000 }, sourceTimestamp: source },
        now,
      ),
    ).toMatchObject({ ok: true, quality: 'bad' });
  });

  it('refuses what a sample cannot carry', () => {
    const map = (variant: { dataType: number; value: unknown; arrayType?: number }) =>
      mapDataValue({ value: variant, statusCode: { value: 0x8000_0000 }, sourceTimestamp: source }, now);
    expect(map({ dataType: 0, value: null })).toEqual({ ok: false, reason: 'no_value' });
    expect(map({ dataType: 11, value: [1, 2], arrayType: 1 })).toEqual({ ok: false, reason: 'array' });
    expect(map({ dataType: 11, value: Number.NaN })).toEqual({ ok: false, reason: 'not_finite' });
    expect(map({ dataType: 15, value: Buffer.from('x') })).toEqual({ ok: false, reason: 'unsupported_type' });
    expect(
      mapDataValue(
        {
          value: { dataType: 11, value: 1 },
          statusCode: good,
          sourceTimestamp: new Date(Date.UTC(2150, 0, 1)),
        },
        now,
      ),
    ).toEqual({ ok: false, reason: 'bad_timestamp' });
  });
});
