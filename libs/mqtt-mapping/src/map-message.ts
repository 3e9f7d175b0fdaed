import {
  decodeMessage,
  tagPathProblem,
  TOPICS,
  type Inspection,
  type SampleValue,
  type TagPath,
} from '@millrace/schema';
import type { EpochUs } from '@millrace/time';
import type { MappingRule, MappingRules, PayloadMapper, SamplesMappingRule } from './rules.js';
import { topicMatches } from './topic-filter.js';

/** One value of a tag at its source time; MQTT payloads carry no quality, so it is good. */
export interface MappedSample {
  ts: EpochUs;
  value: SampleValue;
}

/** Where a message goes: its target topic's data, or the reason it is refused (for the DLQ). */
export type MappedMessage =
  | { ok: true; target: 'samples'; tag: TagPath; sample: MappedSample; rule: SamplesMappingRule }
  | { ok: true; target: 'inspections'; inspection: Inspection }
  | { ok: false; target: 'samples' | 'inspections'; reason: string };

const decoder = new TextDecoder('utf-8', { fatal: true });
const TS_FACTOR = { s: 1_000_000, ms: 1_000, us: 1 } as const;

/** The first rule whose filter matches `topic`, if any. */
export function ruleFor(rules: MappingRules, topic: string): MappingRule | undefined {
  return rules.find((rule) => topicMatches(rule.filter, topic));
}

/**
 * What a topic resolves to, whatever its payload: samples of the tag named by the topic, inspections,
 * or a refusal (no rule matches, or the topic is no tag path) with the reason for the DLQ.
 */
export type TopicRoute =
  | { kind: 'samples'; tag: TagPath; rule: SamplesMappingRule }
  | { kind: 'inspections' }
  | { kind: 'refused'; target: 'samples' | 'inspections'; reason: string };

/**
 * Routes per rule set, by topic: a plant publishes the same few thousand topics over and over, and
 * matching every filter and checking the tag path per message cost more than reading its payload.
 * Bounded: past this many topics the cache starts over.
 */
const routeCaches = new WeakMap<MappingRules, Map<string, TopicRoute>>();
const MAX_CACHED_TOPICS = 100_000;

/**
 * The route of `topic` by the first matching rule (cached per rule set). A caller that keeps state
 * per topic calls this once per topic and {@link readSample} per message.
 */
export function routeTopic(rules: MappingRules, topic: string): TopicRoute {
  let cache = routeCaches.get(rules);
  if (cache === undefined) routeCaches.set(rules, (cache = new Map()));
  let route = cache.get(topic);
  if (route === undefined) {
    if (cache.size >= MAX_CACHED_TOPICS) cache.clear();
    route = resolveRoute(rules, topic);
    cache.set(topic, route);
  }
  return route;
}

function resolveRoute(rules: MappingRules, topic: string): TopicRoute {
  const rule = ruleFor(rules, topic);
  if (rule === undefined)
    return { kind: 'refused', target: 'samples', reason: `no mapping rule matches topic ${topic}` };
  if (rule.target === 'inspections') return { kind: 'inspections' };
  const problem = tagPathProblem(topic);
  if (problem)
    return { kind: 'refused', target: 'samples', reason: `topic ${topic} is not a tag path: ${problem}` };
  return { kind: 'samples', tag: topic as TagPath, rule };
}

/**
 * Maps one MQTT message by the first matching rule. Never throws: a payload that cannot be read, a
 * topic that is no tag path, or a topic no rule matches comes back as `{ ok: false, reason }`.
 * `receivedAt` is the sample time for payloads that carry none.
 */
export function mapMessage(
  rules: MappingRules,
  topic: string,
  payload: Uint8Array,
  receivedAt: EpochUs,
): MappedMessage {
  const route = routeTopic(rules, topic);
  if (route.kind === 'refused') return { ok: false, target: route.target, reason: route.reason };
  if (route.kind === 'inspections') {
    const decoded = decodeMessage(TOPICS.inspections, payload);
    return decoded.ok
      ? { ok: true, target: 'inspections', inspection: decoded.value }
      : { ok: false, target: 'inspections', reason: `topic ${topic}: ${decoded.reason}` };
  }
  const sample = readSample(route.rule.payload, payload, receivedAt);
  if (typeof sample === 'string')
    return { ok: false, target: 'samples', reason: `topic ${topic}: ${sample}` };
  return { ok: true, target: 'samples', tag: route.tag, sample, rule: route.rule };
}

/** The latest instant a sample may carry (2100-01-01), as `epochUsSchema` and the samples schema say. */
const MAX_EPOCH_US = 4_102_444_800_000_000;
const MAX_TEXT = 4096;

/**
 * The sample one payload holds, or the reason it holds none. Checked by hand against the same bounds
 * as `sampleValueSchema` and `epochUsSchema` (mqtt-mapping.spec.ts compares them): this runs once
 * per MQTT message, where two zod parses cost more than reading the JSON.
 */
export function readSample(
  mapper: PayloadMapper,
  payload: Uint8Array,
  receivedAt: EpochUs,
): MappedSample | string {
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    return 'payload is not UTF-8';
  }
  if (mapper.kind === 'plain') {
    const value = readPlain(text.trim(), mapper.valueType);
    return typeof value === 'object' ? value.problem : { ts: receivedAt, value };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `payload is not JSON: ${(error as Error).message}`;
  }
  const value = at(json, mapper.valuePath);
  if (value === undefined) return `payload has no ${mapper.valuePath}`;
  if (!isSampleValue(value)) {
    return `${mapper.valuePath} must be a number, boolean or string of at most ${MAX_TEXT} characters`;
  }
  if (mapper.tsPath === undefined) return { ts: receivedAt, value };
  const rawTs = at(json, mapper.tsPath);
  if (typeof rawTs !== 'number') return `${mapper.tsPath} must be a number of ${unitName(mapper.tsUnit)}`;
  const ts = Math.round(rawTs * TS_FACTOR[mapper.tsUnit]);
  if (!(ts >= 0 && ts <= MAX_EPOCH_US))
    return `${mapper.tsPath} ${rawTs} is not an instant in ${unitName(mapper.tsUnit)} before 2100`;
  return { ts: ts as EpochUs, value };
}

function isSampleValue(value: unknown): value is SampleValue {
  switch (typeof value) {
    case 'number':
      // JSON.parse reads 1e400 as Infinity; the samples schema and QuestDB take finite numbers only.
      return Number.isFinite(value);
    case 'boolean':
      return true;
    case 'string':
      return value.length <= MAX_TEXT;
    default:
      return false;
  }
}

function readPlain(
  text: string,
  valueType: 'number' | 'boolean' | 'string',
): number | boolean | string | { problem: string } {
  if (valueType === 'string') {
    return text.length <= 4096 ? text : { problem: 'payload is longer than 4096 characters' };
  }
  if (valueType === 'boolean') {
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    return { problem: `payload "${text.slice(0, 40)}" is not true/false/1/0` };
  }
  // Number() alone would read "" and "0x10" as numbers.
  const number = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
  return Number.isFinite(number) ? number : { problem: `payload "${text.slice(0, 40)}" is not a number` };
}

/** Dotted paths split once per path, not once per message. */
const pathKeys = new Map<string, readonly string[]>();

function at(json: unknown, path: string): unknown {
  let keys = pathKeys.get(path);
  if (keys === undefined) pathKeys.set(path, (keys = path.split('.')));
  let current = json;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const unitName = (unit: 's' | 'ms' | 'us'): string =>
  ({ s: 'epoch seconds', ms: 'epoch milliseconds', us: 'epoch microseconds' })[unit];
