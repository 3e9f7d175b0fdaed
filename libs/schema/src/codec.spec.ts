import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './codec.js';
import { ALL_TOPICS, TOPICS, deadLetterTopicOf } from './topics.js';

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

const batch = {
  tag: 'plant1/coldmill/pltcm/stand1/roll_force',
  source: 'opcua:opc.tcp://127.0.0.1:4840',
  ingestTs: 1_736_809_000_500_000,
  samples: [{ ts: 1_736_809_000_000_000, value: 12.5 }],
};

describe('message codec', () => {
  it('round-trips a sample batch and fills defaults', () => {
    const decoded = decodeMessage(TOPICS.samples, encodeMessage(TOPICS.samples, batch));
    expect(decoded).toEqual({
      ok: true,
      value: { ...batch, samples: [{ ts: 1_736_809_000_000_000, value: 12.5, quality: 'good' }] },
    });
  });

  it('names the failing field of a refused message', () => {
    const decoded = decodeMessage(
      TOPICS.samples,
      bytes({ ...batch, samples: [{ ts: 'yesterday', value: 1 }] }),
    );
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(/^plant\.samples\.v1: samples\.0\.ts:/);
  });

  it('refuses nanosecond timestamps in a microsecond field', () => {
    const ms = { ...batch, samples: [{ ts: 1_736_809_000_000, value: 1 }] };
    // 1.7e12 µs is 1970-01-21: valid, so the unit bug must be caught by the brand in code, not here.
    expect(decodeMessage(TOPICS.samples, bytes(ms)).ok).toBe(true);
    const ns = { ...batch, samples: [{ ts: 1_736_809_000_000_000_000, value: 1 }] };
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
