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
  }),
]);
export type MappingRule = z.infer<typeof mappingRuleSchema>;

/** Ordered rules: the first whose filter matches a topic decides. */
export const mappingRulesSchema = z.array(mappingRuleSchema).min(1);
export type MappingRules = z.infer<typeof mappingRulesSchema>;

/** The demo plant's MQTT contract (docs/demo-plant.md §3). */
export const DEMO_PLANT_RULES: MappingRules = Object.freeze([
  { filter: 'plant1/+/+/inspections/+', target: 'inspections' },
  {
    filter: 'plant1/#',
    target: 'samples',
    payload: { kind: 'json', valuePath: 'value', tsPath: 'ts', tsUnit: 'ms' },
  },
]) as MappingRules;
