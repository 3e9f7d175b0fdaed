import { identifierSchema } from '@millrace/schema';
import { z } from 'zod';

const bounds = {
  machine: identifierSchema,
  setpoint: identifierSchema,
  unit: z.string().max(32).optional(),
  min: z.number(),
  max: z.number(),
  /** Largest change from the current value in one command. */
  maxStep: z.number().positive(),
  /** Least time between two commands executed on this target: the rate limit. */
  minIntervalMs: z.number().int().min(0),
};

/** One allow-listed command target: where a setpoint is written, and the bounds it is written within. */
export const commandTargetSchema = z
  .discriminatedUnion('via', [
    z.object({
      ...bounds,
      via: z.literal('opcua'),
      /** The node's namespace by URI (its index may change between server starts) and its string id. */
      namespaceUri: z.string().min(1),
      nodeId: z.string().min(1),
    }),
    z.object({ ...bounds, via: z.literal('mqtt'), topic: z.string().min(1).max(512) }),
  ])
  .refine((target) => target.min <= target.max, { message: 'min must not exceed max', path: ['min'] });
export type CommandTarget = z.infer<typeof commandTargetSchema>;

export const commandTargetsSchema = z.array(commandTargetSchema).max(1_000);

/**
 * The demo plant's one writable setpoint (docs/demo-plant.md): CAS_01 speed, within a band around
 * its 1000 rpm nominal that keeps the line producing; at most 100 rpm per command and one command per 10 s,
 * so a runaway model cannot walk the line far in a minute.
 */
export const DEFAULT_COMMAND_TARGETS: readonly CommandTarget[] = [
  {
    machine: 'CAS_01',
    setpoint: 'speed_setpoint',
    unit: 'rpm',
    via: 'opcua',
    namespaceUri: 'urn:millrace:simulator',
    nodeId: 'plant1/cells/line1/CAS_01/speed_setpoint',
    min: 600,
    max: 1_400,
    maxStep: 100,
    minIntervalMs: 10_000,
  },
];

export const targetKey = (machine: string, setpoint: string): string => `${machine}/${setpoint}`;
