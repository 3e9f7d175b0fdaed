import {
  decodeMessage,
  epochUsSchema,
  sampleValueSchema,
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

/** What a topic resolves to: its rule, and for samples whether it is a tag path. */
interface Route {
  rule: MappingRule | undefined;
  tagProblem: string | undefined;
}

/**
 * Routes per rule set, by topic: a plant publishes the same few thousand topics over and over, and
 * matching every filter and checking the tag path per message cost more than reading its payload.
 * Bounded: past this many topics the cache starts over.
 */
const routeCaches = new WeakMap<MappingRules, Map<string, Route>>();
const MAX_CACHED_TOPICS = 100_000;

function routeOf(rules: MappingRules, topic: string): Route {
  let cache = routeCaches.get(rules);
  if (cache === undefined) routeCaches.set(rules, (cache = new Map()));
  let route = cache.get(topic);
  if (route === undefined) {
    if (cache.size >= MAX_CACHED_TOPICS) cache.clear();
    const rule = ruleFor(rules, topic);
    route = { rule, tagProblem: rule?.target === 'samples' ? tagPathProblem(topic) : undefined };
    cache.set(topic, route);
  }
  return route;
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
  const { rule, tagProblem: problem } = routeOf(rules, topic);
  if (rule === undefined)
    return { ok: false, target: 'samples', reason: `no mapping rule matches topic ${topic}` };
  if (rule.target === 'inspections') {
    const decoded = decodeMessage(TOPICS.inspections, payload);
    return decoded.ok
      ? { ok: true, target: 'inspections', inspection: decoded.value }
      : { ok: false, target: 'inspections', reason: `topic ${topic}: ${decoded.reason}` };
  }
  if (problem)
    return { ok: false, target: 'samples', reason: `topic ${topic} is not a tag path: ${problem}` };
  const sample = readSample(rule.payload, payload, receivedAt);
  if (typeof sample === 'string')
    return { ok: false, target: 'samples', reason: `topic ${topic}: ${sample}` };
  return { ok: true, target: 'samples', tag: topic as TagPath, sample, rule };
}

/** The sample, or the reason the payload holds none. */
function readSample(mapper: PayloadMapper, payload: Uint8Array, receivedAt: EpochUs): MappedSample | string {
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
  const rawValue = at(json, mapper.valuePath);
  if (rawValue === undefined) return `payload has no ${mapper.valuePath}`;
  const value = sampleValueSchema.safeParse(rawValue);
  if (!value.success || (typeof value.data === 'number' && !Number.isFinite(value.data))) {
    return `${mapper.valuePath} must be a number, boolean or string of at most 4096 characters`;
  }
  let ts = receivedAt;
  if (mapper.tsPath !== undefined) {
    const rawTs = at(json, mapper.tsPath);
    if (typeof rawTs !== 'number') return `${mapper.tsPath} must be a number of ${unitName(mapper.tsUnit)}`;
    const parsed = epochUsSchema.safeParse(Math.round(rawTs * TS_FACTOR[mapper.tsUnit]));
    if (!parsed.success)
      return `${mapper.tsPath} ${rawTs} is not an instant in ${unitName(mapper.tsUnit)} before 2100`;
    ts = parsed.data;
  }
  return { ts, value: value.data };
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

function at(json: unknown, path: string): unknown {
  let current = json;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const unitName = (unit: 's' | 'ms' | 'us'): string =>
  ({ s: 'epoch seconds', ms: 'epoch milliseconds', us: 'epoch microseconds' })[unit];
