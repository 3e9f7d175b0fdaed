import { epochUs, type EpochUs } from '@millrace/time';
import { z } from 'zod';

/** Microseconds since the epoch, UTC (ARCHITECTURE.md, Contracts). */
export const epochUsSchema = z
  .number()
  .int()
  .min(0)
  .max(4_102_444_800_000_000) // 2100-01-01: anything later is a unit bug (ms or ns), not a date
  .transform((value): EpochUs => epochUs(value));

export const qualitySchema = z.enum(['good', 'uncertain', 'bad']);
export type Quality = z.infer<typeof qualitySchema>;

/** A sample's value: numbers for measurements, booleans for states, strings for codes and texts. */
export const sampleValueSchema = z.union([z.number(), z.boolean(), z.string().max(4096)]);
export type SampleValue = z.infer<typeof sampleValueSchema>;

/** Where a value came from, e.g. `opcua:opc.tcp://127.0.0.1:4840`, `mqtt:plant1/cells/...`, `file:coil_data`. */
export const sourceSchema = z.string().min(1).max(512);

export const identifierSchema = z.string().min(1).max(128);
