import { epochUsSchema, sampleValueSchema } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import {
  DEMO_PLANT_RULES,
  filterCovers,
  mapMessage,
  mappingRulesSchema,
  readSample,
  routeTopic,
  subscriptionFilters,
  topicFilterProblem,
  topicMatches,
} from './index.js';

const NOW = epochUs(1_700_000_000_123_000);
const bytes = (value: unknown): Uint8Array =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('topicMatches (MQTT 5.0 §4.7)', () => {
  it.each([
    ['plant1/#', 'plant1/cells/line1/CAS_01/speed', true],
    ['plant1/#', 'plant1', true],
    ['plant1/+/+/inspections/+', 'plant1/cells/line1/inspections/FQC', true],
    ['plant1/+/+/inspections/+', 'plant1/cells/line1/inspections', false],
    ['plant1/+/+/inspections/+', 'plant1/cells/line1/CAS_01/speed', false],
    ['+/x', '$SYS/x', false],
    ['#', '$SYS/broker/uptime', false],
    ['a/b', 'a/b/c', false],
    ['a/+', 'a/', true],
  ])('%s ~ %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('subscribes only to filters no other covers, so a broker cannot deliver a message twice', () => {
    expect(subscriptionFilters(DEMO_PLANT_RULES.map((rule) => rule.filter))).toEqual(['plant1/#']);
    expect(subscriptionFilters(['a/+/c', 'a/b/+', 'a/b/c'])).toEqual(['a/+/c', 'a/b/+']);
    expect(filterCovers('a/+', 'a/#')).toBe(false);
    expect(filterCovers('#', '$SYS/#')).toBe(false);
    expect(filterCovers('a/#', 'a')).toBe(true);
  });

  it('names invalid filters', () => {
    expect(topicFilterProblem('a/#/b')).toMatch(/last/);
    expect(topicFilterProblem('a/b+')).toMatch(/whole level/);
    expect(topicFilterProblem('a/+/#')).toBeUndefined();
  });
});

describe('mapMessage with the demo plant rules', () => {
  it('maps a machine signal to a sample of the tag named by the topic, time from ts in ms', () => {
    const result = mapMessage(
      DEMO_PLANT_RULES,
      'plant1/cells/line1/CAS_01/speed',
      bytes({ value: 1450.5, ts: 1_700_000_000_000 }),
      NOW,
    );
    expect(result).toMatchObject({
      ok: true,
      target: 'samples',
      tag: 'plant1/cells/line1/CAS_01/speed',
      sample: { ts: 1_700_000_000_000_000, value: 1450.5 },
      rule: { unit: 'rpm', expectedPeriodMs: 1_000 },
    });
  });

  it('keeps string values (status)', () => {
    const result = mapMessage(
      DEMO_PLANT_RULES,
      'plant1/cells/line1/CAS_01/status',
      bytes({ value: 'idle', ts: 1 }),
      NOW,
    );
    expect(result).toMatchObject({ ok: true, sample: { value: 'idle', ts: 1000 } });
  });

  it('maps an inspection record by the first rule, before the plant1/# catch-all', () => {
    const inspection = {
      cellId: 'C-1',
      orderId: 'O-1',
      line: 'line1',
      stage: 'FQC',
      ts: 1_700_000_000_000_000,
      measurements: { capacityAh: 5.01 },
      verdict: 'pass',
    };
    const result = mapMessage(DEMO_PLANT_RULES, 'plant1/cells/line1/inspections/FQC', bytes(inspection), NOW);
    expect(result).toMatchObject({ ok: true, target: 'inspections', inspection: { cellId: 'C-1' } });
  });

  it.each([
    ['plant1/cells/line1/CAS_01/speed', 'not json', /not JSON/],
    ['plant1/cells/line1/CAS_01/speed', { ts: 1 }, /has no value/],
    [
      'plant1/cells/line1/CAS_01/speed',
      { value: { nested: 1 }, ts: 1 },
      /must be a number, boolean or string/,
    ],
    [
      'plant1/cells/line1/CAS_01/speed',
      { value: 1, ts: '2024-01-01' },
      /ts must be a number of epoch milliseconds/,
    ],
    ['plant1/cells/line1/CAS_01/speed', { value: 1, ts: 1e18 }, /before 2100/],
    ['plant1/cells/speed', { value: 1, ts: 1 }, /not a tag path/],
    ['plant1/cells/line1/inspections/FQC', { cellId: 'x' }, /quality.inspections.v1: .*orderId/],
  ])('refuses %s %j with a reason', (topic, payload, reason) => {
    const result = mapMessage(DEMO_PLANT_RULES, topic, bytes(payload), NOW);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('refuses bytes that are not UTF-8', () => {
    const result = mapMessage(
      DEMO_PLANT_RULES,
      'plant1/cells/line1/CAS_01/speed',
      new Uint8Array([0xff, 0xfe]),
      NOW,
    );
    expect(result).toMatchObject({ ok: false, target: 'samples', reason: expect.stringMatching(/UTF-8/) });
  });

  it('says when no rule matches', () => {
    expect(mapMessage(DEMO_PLANT_RULES, 'other/a/b/c', bytes({ value: 1 }), NOW)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no mapping rule/),
    });
  });
});

describe('configured rules', () => {
  it('reads plain payloads with the configured type, at the arrival time', () => {
    const rules = mappingRulesSchema.parse([
      { filter: 'site/+/+/+/count', target: 'samples', payload: { kind: 'plain' } },
      { filter: 'site/+/+/+/run', target: 'samples', payload: { kind: 'plain', valueType: 'boolean' } },
    ]);
    expect(mapMessage(rules, 'site/a/b/c/count', bytes(' 42.5 '), NOW)).toMatchObject({
      ok: true,
      sample: { value: 42.5, ts: NOW },
    });
    expect(mapMessage(rules, 'site/a/b/c/count', bytes('0x10'), NOW)).toMatchObject({ ok: false });
    expect(mapMessage(rules, 'site/a/b/c/run', bytes('1'), NOW)).toMatchObject({
      ok: true,
      sample: { value: true },
    });
  });

  it('follows nested JSON paths and other time units', () => {
    const rules = mappingRulesSchema.parse([
      {
        filter: 'site/#',
        target: 'samples',
        payload: { kind: 'json', valuePath: 'data.v', tsPath: 'data.t', tsUnit: 's' },
      },
    ]);
    expect(mapMessage(rules, 'site/a/b/x', bytes({ data: { v: 3, t: 1_700_000_000.5 } }), NOW)).toMatchObject(
      {
        ok: true,
        sample: { value: 3, ts: 1_700_000_000_500_000 },
      },
    );
  });

  it('rejects an invalid filter or mapper in config with its path', () => {
    const parsed = mappingRulesSchema.safeParse([
      { filter: 'a/#/b', target: 'samples', payload: { kind: 'xml' } },
    ]);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual(
      expect.arrayContaining(['0.filter', '0.payload.kind']),
    );
  });
});

describe('readSample checks by hand what the schemas check', () => {
  const mapper = { kind: 'json', valuePath: 'value', tsPath: 'ts', tsUnit: 'ms' } as const;

  it.each([
    [1.5],
    [-0],
    [Number.MAX_VALUE],
    [true],
    [''],
    ['x'.repeat(4096)],
    ['x'.repeat(4097)],
    [null],
    [{ v: 1 }],
    [[1]],
  ])('value %j: accepted exactly when sampleValueSchema accepts it', (value) => {
    const sample = readSample(mapper, bytes({ value, ts: 1_700_000_000_000 }), NOW);
    expect(typeof sample !== 'string').toBe(sampleValueSchema.safeParse(value).success);
  });

  it('refuses a number JSON reads as Infinity', () => {
    expect(readSample(mapper, bytes('{"value": 1e400, "ts": 1}'), NOW)).toMatch(/must be a number/);
  });

  it.each([[0], [-1], [-0.0004], [1_700_000_000_000.4], [4_102_444_800_000], [4_102_444_800_001], [1e300]])(
    'ts %d ms: accepted exactly when epochUsSchema accepts the rounded microseconds',
    (ts) => {
      const sample = readSample(mapper, bytes({ value: 1, ts }), NOW);
      expect(typeof sample !== 'string').toBe(epochUsSchema.safeParse(Math.round(ts * 1_000)).success);
    },
  );

  it('routes a topic once: the same route object for every message of it', () => {
    const route = routeTopic(DEMO_PLANT_RULES, 'plant1/cells/line1/CAS_01/speed');
    expect(route).toMatchObject({ kind: 'samples', tag: 'plant1/cells/line1/CAS_01/speed' });
    expect(routeTopic(DEMO_PLANT_RULES, 'plant1/cells/line1/CAS_01/speed')).toBe(route);
    expect(routeTopic(DEMO_PLANT_RULES, 'plant1/cells/line1/inspections/IPQC')).toEqual({
      kind: 'inspections',
    });
    expect(routeTopic(DEMO_PLANT_RULES, 'elsewhere/x')).toMatchObject({ kind: 'refused' });
  });
});
