/**
 * A numeric sample batch of `plant.samples.v1` in binary, for bulk producers (ingest-files): the same
 * message as the JSON one, its two arrays as packed columns instead of text. Writing a file's numbers
 * as JSON text was most of the cost of reading it, and every copy of the bytes after that (the Kafka
 * client's encoders, LZ4, the broker's validation) is paid per byte (docs/benchmarks.md, flat files).
 * Consumers need not know: `decodeMessage` tells binary from JSON by the first bytes (JSON starts with
 * `{`) and checks both against the same schema.
 *
 * Layout, little-endian: the ASCII magic `MSB2`; a uint32 length and that many bytes of UTF-8 JSON
 * (the batch's other fields: tag, source, ingestTs); a uint32 sample count `n`; a byte for how the
 * times are packed and a byte for the values; then the two columns.
 * - Times, packing 1 ({@link TIMES_VARINT}): the first time in epoch µs as a float64, then zigzag
 *   varints of the first difference and of each change of difference after it (a regular series is
 *   one byte a sample). Packing 0 ({@link TIMES_FLOAT}), for times that are not integers or jump too
 *   far: `n` float64, the first time and then each difference to the one before.
 * - Values, packing 1 ({@link VALUES_DECIMAL}): a byte `k`, then zigzag varints of the first `m` and
 *   of each difference, where value = m / 10^k. Chosen only when every value comes back as the very
 *   same double (checked value by value); a file's decimals (`12,345`) always do. Packing 0
 *   ({@link VALUES_FLOAT}): `n` float64.
 *
 * Batches written by the first version (`MSB1`: float64 columns only, no packing bytes) still decode.
 */
const MAGIC_V1 = [0x4d, 0x53, 0x42, 0x31]; // MSB1
const MAGIC = [0x4d, 0x53, 0x42, 0x32]; // MSB2
const TIMES_FLOAT = 0;
const TIMES_VARINT = 1;
const VALUES_FLOAT = 0;
const VALUES_DECIMAL = 1;
/** The most decimals of the decimal packing: 10^k and m < 2^53 stay exact doubles, so m / 10^k is correctly rounded. */
const MAX_SCALE = 15;
const POWERS_OF_TEN = Array.from({ length: MAX_SCALE + 1 }, (_, k) => 10 ** k);
/**
 * Bound on a packed integer (a time's change of difference, a value's m): differences of two are
 * below 2^52, and their zigzag below 2^53, so every varint holds an exact double.
 */
const MAX_PACKED = 2 ** 50;
/** A varint of a number below 2^53 has at most 8 bytes. */
const MAX_VARINT_BYTES = 8;

export interface BinaryBatchHead {
  readonly tag: string;
  readonly source: string;
  readonly ingestTs: number;
}

/** Encodes `ts[0, count)` and `values[0, count)` (numbers) with the batch's other fields. */
export function encodeSampleBatchBinary(
  head: BinaryBatchHead,
  ts: ArrayLike<number>,
  values: ArrayLike<number>,
  count: number,
): Buffer {
  const meta = Buffer.from(JSON.stringify(head), 'utf8');
  const dataStart = 4 + 4 + meta.length + 4 + 2;
  // Written into a scratch buffer with room for the worst case of either packing, then copied out at
  // its real size (a fifth of that for a file's decimals).
  const worstCase = dataStart + 1 + 2 * MAX_VARINT_BYTES * count + 8;
  if (scratch.length < worstCase) scratch = new Uint8Array(Math.max(worstCase, 2 * scratch.length));
  const bytes = scratch;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  bytes.set(MAGIC, 0);
  view.setUint32(4, meta.length, true);
  bytes.set(meta, 8);
  view.setUint32(8 + meta.length, count, true);
  let at = dataStart;
  const stepsEnd = count > 0 ? writeTimeSteps(bytes, view, at, ts, count) : -1;
  bytes[dataStart - 2] = stepsEnd >= 0 ? TIMES_VARINT : TIMES_FLOAT;
  if (stepsEnd >= 0) {
    at = stepsEnd;
  } else {
    let previous = 0;
    for (let index = 0; index < count; index += 1) {
      const time = ts[index]!;
      view.setFloat64(at, time - previous, true);
      at += 8;
      previous = time;
    }
  }
  const decimalsEnd = count > 0 ? writeDecimals(bytes, at, values, count) : -1;
  bytes[dataStart - 1] = decimalsEnd >= 0 ? VALUES_DECIMAL : VALUES_FLOAT;
  if (decimalsEnd >= 0) {
    at = decimalsEnd;
  } else {
    for (let index = 0; index < count; index += 1) {
      // + 0 turns -0 into 0, as JSON would have written it.
      view.setFloat64(at, values[index]! + 0, true);
      at += 8;
    }
  }
  return Buffer.from(bytes.subarray(0, at));
}

// A Uint8Array, not a Buffer: this module also loads in the browser (the web app imports the schemas),
// where there is no Buffer to make one at load time.
let scratch = new Uint8Array(0);

/**
 * Writes the values' decimal packing at `at` (see the layout above) and returns where it ends; -1
 * where some value is not m / 10^k for an integer m within {@link MAX_PACKED} (NaN, 1/3, a huge
 * number). Starts with the decimals the first value needs and starts over with more where a later
 * value needs them: one pass over a column of a file's numbers, whose decimals rarely vary.
 */
function writeDecimals(bytes: Uint8Array, start: number, values: ArrayLike<number>, count: number): number {
  let scale = leastScale(values[0]!, 0);
  while (scale >= 0) {
    bytes[start] = scale;
    let at = start + 1;
    const power = POWERS_OF_TEN[scale]!;
    let previous = 0;
    let misfit = -1;
    for (let index = 0; index < count; index += 1) {
      const value = values[index]!;
      const scaled = Math.round(value * power);
      // The check, not a proof, decides: the decoder's m / 10^k must be this very double.
      if (scaled / power !== value || Math.abs(scaled) > MAX_PACKED) {
        misfit = index;
        break;
      }
      at = writeZigzag(bytes, at, scaled - previous);
      previous = scaled;
    }
    if (misfit < 0) return at;
    scale = leastScale(values[misfit]!, scale + 1);
  }
  return -1;
}

/** The fewest decimals, from `from` on, that write `value` exactly; -1 if none does. */
function leastScale(value: number, from: number): number {
  for (let scale = from; scale <= MAX_SCALE; scale += 1) {
    const power = POWERS_OF_TEN[scale]!;
    const scaled = Math.round(value * power);
    if (scaled / power === value && Math.abs(scaled) <= MAX_PACKED) return scale;
  }
  return -1;
}

/** Writes the times' varint packing at `at` and returns where it ends; -1 where a time is not an integer or jumps too far. */
function writeTimeSteps(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  ts: ArrayLike<number>,
  count: number,
): number {
  const first = ts[0]!;
  if (!Number.isSafeInteger(first)) return -1;
  view.setFloat64(start, first, true);
  let at = start + 8;
  let previous = first;
  let previousStep = 0;
  for (let index = 1; index < count; index += 1) {
    const time = ts[index]!;
    const step = time - previous;
    const change = step - previousStep;
    if (!Number.isSafeInteger(time) || Math.abs(change) > MAX_PACKED) return -1;
    at = writeZigzag(bytes, at, change);
    previous = time;
    previousStep = step;
  }
  return at;
}

/** Writes `value` (an integer within ±2^52) as a zigzag varint; returns the position after it. */
function writeZigzag(bytes: Uint8Array, at: number, value: number): number {
  let rest = value >= 0 ? 2 * value : -2 * value - 1;
  // Below 2^31 the bit operators are exact and much faster than division.
  while (rest >= 0x80_00_00_00) {
    bytes[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  while (rest >= 0x80) {
    bytes[at++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  bytes[at++] = rest;
  return at;
}

export function isSampleBatchBinary(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && (hasMagic(bytes, MAGIC) || hasMagic(bytes, MAGIC_V1));
}

function hasMagic(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((byte, index) => bytes[index] === byte);
}

/**
 * The batch as the JSON message would parse (its fields and two arrays), for the topic's schema to
 * check; a TypeError where the bytes do not hold what their header says.
 */
export function decodeSampleBatchBinary(bytes: Uint8Array): Record<string, unknown> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version1 = hasMagic(bytes, MAGIC_V1);
  const headerEnd = (metaLength: number) => 8 + metaLength + 4 + (version1 ? 0 : 2);
  if (bytes.length < headerEnd(0)) throw new TypeError('binary sample batch shorter than its header');
  const metaLength = view.getUint32(4, true);
  const dataStart = headerEnd(metaLength);
  if (dataStart > bytes.length) throw new TypeError('binary sample batch shorter than its header');
  const head: unknown = JSON.parse(
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + metaLength)),
  );
  if (typeof head !== 'object' || head === null || Array.isArray(head))
    throw new TypeError('binary sample batch header is not a JSON object');
  const count = view.getUint32(8 + metaLength, true);
  const timePacking = version1 ? TIMES_FLOAT : bytes[dataStart - 2];
  const valuePacking = version1 ? VALUES_FLOAT : bytes[dataStart - 1];
  if (timePacking !== TIMES_FLOAT && timePacking !== TIMES_VARINT)
    throw new TypeError(`binary sample batch has an unknown time packing ${timePacking}`);
  if (valuePacking !== VALUES_FLOAT && valuePacking !== VALUES_DECIMAL)
    throw new TypeError(`binary sample batch has an unknown value packing ${valuePacking}`);
  const reader = new ColumnReader(bytes, view, dataStart, count);
  const ts = new Array<number>(count);
  const values = new Array<number>(count);
  if (timePacking === TIMES_VARINT && count > 0) {
    let time = reader.float64();
    let step = 0;
    ts[0] = time;
    for (let index = 1; index < count; index += 1) {
      step += reader.zigzag();
      time += step;
      ts[index] = time;
    }
  } else {
    let time = 0;
    for (let index = 0; index < count; index += 1) {
      time += reader.float64();
      ts[index] = time;
    }
  }
  if (valuePacking === VALUES_DECIMAL) {
    const scale = reader.byte();
    if (scale > MAX_SCALE)
      throw new TypeError(`binary sample batch has ${scale} decimals (at most ${MAX_SCALE})`);
    const power = POWERS_OF_TEN[scale]!;
    let scaled = 0;
    for (let index = 0; index < count; index += 1) {
      scaled += reader.zigzag();
      values[index] = scaled / power;
    }
  } else {
    for (let index = 0; index < count; index += 1) values[index] = reader.float64();
  }
  reader.expectEnd();
  return { ...head, ts, values };
}

/** Reads a batch's columns, refusing to read past the end of the bytes or to stop before it. */
class ColumnReader {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    private at: number,
    private readonly count: number,
  ) {}

  byte(): number {
    if (this.at >= this.bytes.length) this.truncated();
    return this.bytes[this.at++]!;
  }

  float64(): number {
    if (this.at + 8 > this.bytes.length) this.truncated();
    const value = this.view.getFloat64(this.at, true);
    this.at += 8;
    return value;
  }

  zigzag(): number {
    const { bytes } = this;
    let value = 0;
    let factor = 1;
    for (let read = 0; ; read += 1) {
      if (this.at >= bytes.length) this.truncated();
      if (read === MAX_VARINT_BYTES) throw new TypeError('binary sample batch has a varint over 8 bytes');
      const byte = bytes[this.at++]!;
      value += (byte & 0x7f) * factor;
      if (byte < 0x80) break;
      factor *= 0x80;
    }
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }

  expectEnd(): void {
    if (this.at !== this.bytes.length)
      throw new TypeError(
        `binary sample batch of ${this.count} samples has ${this.bytes.length - this.at} bytes after its data`,
      );
  }

  private truncated(): never {
    throw new TypeError(`binary sample batch of ${this.count} samples ends inside its data`);
  }
}
