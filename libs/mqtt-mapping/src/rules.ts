import { z } from 'zod';
import { topicFilterProblem } from './topic-filter.js';

const topicFilterSchema = z.string().superRefine((filter, context) => {
  const problem = topicFilterProblem(filter);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/** A dotted path into a JSON object, e.g. `value` or `data.ts`. */
const jsonPathSchema = z.string().regex(/^[^.]+(\.[^.]+)*$/, 'a dotted path such as value or data.value');

export const payloadMapperSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('json'),
    valuePath: jsonPathSchema.default('value'),
    /** Without it, the sample takes the time the message arrived. */
    tsPath: jsonPathSchema.optional(),
    /** Unit of the number at `tsPath`: said in config, never guessed from the number's size. */
    tsUnit: z.enum(['s', 'ms', 'us']).default('ms'),
  }),
  z.object({
    kind: z.literal('plain'),
    /** How the payload text is read; the sample takes the time the message arrived. */
    valueType: z.enum(['number', 'boolean', 'string']).default('number'),
  }),
]);
export type PayloadMapper = z.infer<typeof payloadMapperSchema>;

export const mappingRuleSchema = z.discriminatedUnion('target', [
  z.object({ filter: topicFilterSchema, target: z.literal('inspections') }),
  z.object({
    filter: topicFilterSchema,
    /** Samples with tag = the topic (UNS: the topic is the tag path). */
    target: z.literal('samples'),
    payload: payloadMapperSchema.default({ kind: 'json', valuePath: 'value', tsPath: 'ts', tsUnit: 'ms' }),
    /** Described on `plant.tags.v1` for every tag this rule maps: what the catalog and charts show. */
    unit: z.string().min(1).max(32).optional(),
    description: z.string().min(1).max(512).optional(),
    expectedPeriodMs: z.number().int().positive().optional(),
  }),
]);
export type MappingRule = z.infer<typeof mappingRuleSchema>;
export type SamplesMappingRule = Extract<MappingRule, { target: 'samples' }>;

/** Ordered rules: the first whose filter matches a topic decides. */
export const mappingRulesSchema = z.array(mappingRuleSchema).min(1);
export type MappingRules = z.infer<typeof mappingRulesSchema>;

/** The demo plant's MQTT contract (docs/demo-plant.md §3). */
const DEMO_SIGNALS: readonly (readonly [machine: string, signal: string, unit?: string])[] = [
  ['CAS_01', 'temperature', '°C'],
  ['CAS_01', 'vibration', 'm/s²'],
  ['CAS_01', 'speed', 'rpm'],
  ['CAS_01', 'speed_setpoint', 'rpm'],
  ['CAS_01', 'assembly_force', 'N'],
  ['CAS_01', 'pressure', 'bar'],
  ['CAS_01', 'status'],
  ['FORM_01', 'temperature', '°C'],
  ['FORM_01', 'current', 'A'],
  ['FORM_01', 'voltage', 'V'],
  ['FORM_01', 'status'],
  ['EOL_01', 'temperature', '°C'],
  ['EOL_01', 'voltage', 'V'],
  ['EOL_01', 'soc', '%'],
  ['EOL_01', 'status'],
];

export const DEMO_PLANT_RULES: MappingRules = Object.freeze([
  { filter: 'plant1/+/+/inspections/+', target: 'inspections' },
  ...DEMO_SIGNALS.map(([machine, signal, unit]) => ({
    filter: `plant1/cells/line1/${machine}/${signal}`,
    target: 'samples' as const,
    payload: { kind: 'json' as const, valuePath: 'value', tsPath: 'ts', tsUnit: 'ms' as const },
    expectedPeriodMs: 1_000,
    ...(unit === undefined ? {} : { unit }),
  })),
  {
    filter: 'plant1/#',
    target: 'samples',
    payload: { kind: 'json', valuePath: 'value', tsPath: 'ts', tsUnit: 'ms' },
  },
]) as MappingRules;
