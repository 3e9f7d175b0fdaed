import type { Quality } from '@millrace/schema';
import { dateToUs, type EpochUs } from '@millrace/time';

/**
 * The parts of a node-opcua DataValue the mapping reads, so this lib needs no OPC UA stack: `dataType`
 * is the built-in type id (Part 6, §5.1.2), `arrayType` 0 for a scalar.
 */
export interface DataValueLike {
  value: { dataType: number; arrayType?: number; value: unknown };
  statusCode: { value: number };
  sourceTimestamp?: Date | null;
  serverTimestamp?: Date | null;
}

/** Built-in type ids (OPC UA Part 6, §5.1.2, Table 1). */
const BuiltIn = {
  Null: 0,
  Boolean: 1,
  SByte: 2,
  Byte: 3,
  Int16: 4,
  UInt16: 5,
  Int32: 6,
  UInt32: 7,
  Int64: 8,
  UInt64: 9,
  Float: 10,
  Double: 11,
  String: 12,
  LocalizedText: 21,
} as const;

const NUMERIC = new Set<number>([
  BuiltIn.SByte,
  BuiltIn.Byte,
  BuiltIn.Int16,
  BuiltIn.UInt16,
  BuiltIn.Int32,
  BuiltIn.UInt32,
  BuiltIn.Float,
  BuiltIn.Double,
]);

/** `epochUsSchema`'s upper bound, 2100-01-01. */
const LATEST_US = 4_102_444_800_000_000;

/** The longest string a sample carries (`sampleValueSchema`). */
export const MAX_STRING_LENGTH = 4096;

export type MappedValue =
  | { ok: true; ts: EpochUs; value: number | boolean | string; quality: Quality }
  | { ok: false; reason: 'array' | 'no_value' | 'not_finite' | 'unsupported_type' | 'bad_timestamp' };

/**
 * StatusCode severity, the two top bits (Part 4, §7.39): 00 Good, 01 Uncertain, 10 and 11 Bad.
 */
export function qualityOf(statusCode: number): Quality {
  const severity = statusCode >>> 30;
  if (severity === 0) return 'good';
  if (severity === 1) return 'uncertain';
  return 'bad';
}

/** A DateTime that holds an instant: node-opcua decodes the "no time" value (0, 1601-01-01) to a Date before 1970. */
function usable(date: Date | null | undefined): date is Date {
  return date instanceof Date && date.getTime() > 0;
}

/**
 * The sample of a DataValue: source timestamp (the server's when the source gave none, `now` when
 * neither did), the value as a number, boolean or string, and the quality. DataValue timestamps carry
 * milliseconds here (node-opcua's Date), so `ts` is a whole number of milliseconds in microseconds.
 */
export function mapDataValue(dataValue: DataValueLike, now: EpochUs): MappedValue {
  const { value: variant, statusCode } = dataValue;
  if ((variant.arrayType ?? 0) !== 0) return { ok: false, reason: 'array' };
  const value = scalar(variant.dataType, variant.value);
  if (value === undefined) {
    return {
      ok: false,
      reason: variant.dataType === BuiltIn.Null || variant.value == null ? 'no_value' : 'unsupported_type',
    };
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { ok: false, reason: 'not_finite' };
  const ts = usable(dataValue.sourceTimestamp)
    ? dateToUs(dataValue.sourceTimestamp)
    : usable(dataValue.serverTimestamp)
      ? dateToUs(dataValue.serverTimestamp)
      : now;
  // A clock set wrong on the machine would make the whole batch fail its schema: refuse the one sample.
  if (ts > LATEST_US) return { ok: false, reason: 'bad_timestamp' };
  return { ok: true, ts, value, quality: qualityOf(statusCode.value) };
}

function scalar(dataType: number, value: unknown): number | boolean | string | undefined {
  if (value === null || value === undefined) return undefined;
  if (NUMERIC.has(dataType)) return typeof value === 'number' ? value : undefined;
  switch (dataType) {
    case BuiltIn.Boolean:
      return typeof value === 'boolean' ? value : undefined;
    case BuiltIn.Int64:
    case BuiltIn.UInt64:
      return int64(value, dataType === BuiltIn.Int64);
    case BuiltIn.String:
      return typeof value === 'string' ? value.slice(0, MAX_STRING_LENGTH) : undefined;
    case BuiltIn.LocalizedText: {
      const text = (value as { text?: unknown }).text;
      return typeof text === 'string' ? text.slice(0, MAX_STRING_LENGTH) : text == null ? '' : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * node-opcua holds a 64-bit integer as `[high, low]` 32-bit words. As a number it is exact up to 2^53;
 * beyond that it is rounded, the price of one numeric value column.
 */
function int64(value: unknown, signed: boolean): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [high, low] = value as unknown[];
  if (typeof high !== 'number' || typeof low !== 'number') return undefined;
  const highWord = signed ? high | 0 : high >>> 0;
  return highWord * 0x1_0000_0000 + (low >>> 0);
}
