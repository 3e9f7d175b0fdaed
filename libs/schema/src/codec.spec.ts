import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './codec.js';
import { ALL_TOPICS, TOPICS, deadLetterTopicOf } from './topics.js';

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

const batch = {
  tag: 'plant1/coldmill/pltcm/stand1/roll_force',
  source: 'opcua:opc.tcp://127.0.0.1:4840',
  ingestTs: 1_736_809_000_500_000,
  ts: [1_736_809_000_000_000, 1_736_809_001_000_000],
  values: [12.5, 12.75],
};

describe('message codec', () => {
  it('round-trips a sample batch', () => {
    expect(decodeMessage(TOPICS.samples, encodeMessage(TOPICS.samples, batch))).toEqual({
      ok: true,
      value: batch,
    });
  });

  it('names the failing field of a refused message', () => {
    const decoded = decodeMessage(TOPICS.samples, bytes({ ...batch, ts: ['yesterday', 1] }));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(/^plant\.samples\.v1: ts\.0:/);
  });

  it('refuses columns of different lengths, and a batch mixing value types', () => {
    const short = decodeMessage(TOPICS.samples, bytes({ ...batch, values: [1] }));
    expect(short).toMatchObject({
      ok: false,
      reason: expect.stringContaining('values: has 1 values for 2 timestamps'),
    });
    const mixed = decodeMessage(TOPICS.samples, bytes({ ...batch, values: [1, 'two'] }));
    expect(mixed).toMatchObject({ ok: false, reason: expect.stringContaining('values must be all numbers') });
    expect(decodeMessage(TOPICS.samples, bytes({ ...batch, quality: ['good'] })).ok).toBe(false);
  });

  it('refuses nanosecond timestamps in a microsecond field', () => {
    // 1.7e12 µs is 1970-01-21: valid, so a milliseconds bug must be caught by the brand in code, not here.
    expect(
      decodeMessage(TOPICS.samples, bytes({ ...batch, ts: [1_736_809_000_000, 1_736_809_001_000] })).ok,
    ).toBe(true);
    const ns = { ...batch, ts: [1_736_809_000_000_000_000, 1_736_809_001_000_000_000] };
    expect(decodeMessage(TOPICS.samples, bytes(ns)).ok).toBe(false);
  });

  it('refuses bytes that are not JSON, and tombstones, with a reason', () => {
    const garbage = decodeMessage(TOPICS.samples, new Uint8Array([0xff, 0xfe, 0x00]));
    expect(garbage).toMatchObject({ ok: false, reason: expect.stringContaining('not UTF-8 JSON') });
    expect(decodeMessage(TOPICS.samples, null)).toMatchObject({ ok: false });
  });

  it('refuses to encode an invalid message', () => {
    expect(() => encodeMessage(TOPICS.samples, { ...batch, tag: 'nope' })).toThrow(TypeError);
  });

  it('decodes each kind of plant record', () => {
    const coil = {
      kind: 'coil',
      line: 'pltcm',
      coilId: '1736809000B100',
      ts: 1_736_809_000_000_000,
      endTs: 1_736_809_300_000_000,
      source: 'file:coil_data',
      alloyCode: 'SPCC',
      entryWidthMm: 1100,
      exitThicknessMm: 0.5,
      weightKg: 15817,
    };
    expect(decodeMessage(TOPICS.records, bytes(coil)).ok).toBe(true);
    const setup = { ...coil, kind: 'setup', stand: 3, values: { ThermalCrown_G1: 12.5 } };
    expect(decodeMessage(TOPICS.records, bytes(setup)).ok).toBe(true);
    expect(decodeMessage(TOPICS.records, bytes({ ...setup, kind: 'weather' })).ok).toBe(false);
  });
});

describe('topic registry', () => {
  it('gives every topic a dead-letter twin and unique versioned names', () => {
    const names = ALL_TOPICS.map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
    for (const spec of Object.values(TOPICS)) {
      expect(spec.name).toMatch(/\.v\d+$/);
      expect(names).toContain(deadLetterTopicOf(spec).name);
    }
  });
});
