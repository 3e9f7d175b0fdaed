/**
 * A numeric sample batch of `plant.samples.v1` in binary, for bulk producers (ingest-files): the same
 * message as the JSON one, its two arrays as float64 columns instead of text. Writing a file's numbers
 * as JSON text was most of the cost of reading it, and LZ4 compresses the time deltas of a regular
 * series to almost nothing (docs/benchmarks.md, flat files). Consumers need not know: `decodeMessage`
 * tells the two apart by the first bytes (JSON starts with `{`) and checks both against the same schema.
 *
 * Layout, little-endian: the ASCII magic `MSB1`; a uint32 length and that many bytes of UTF-8 JSON
 * (the batch's other fields: tag, source, ingestTs); a uint32 sample count `n`; `n` float64 times, the
 * first in epoch µs and each further one as the difference to the one before; `n` float64 values.
 */
const MAGIC = [0x4d, 0x53, 0x42, 0x31]; // MSB1

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
  const dataStart = 4 + 4 + meta.length + 4;
  const bytes = Buffer.allocUnsafe(dataStart + 16 * count);
  bytes.set(MAGIC, 0);
  bytes.writeUInt32LE(meta.length, 4);
  meta.copy(bytes, 8);
  bytes.writeUInt32LE(count, 8 + meta.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let previous = 0;
  for (let index = 0; index < count; index += 1) {
    const time = ts[index]!;
    view.setFloat64(dataStart + 8 * index, time - previous, true);
    previous = time;
    // + 0 turns -0 into 0, as JSON would have written it.
    view.setFloat64(dataStart + 8 * (count + index), values[index]! + 0, true);
  }
  return bytes;
}

export function isSampleBatchBinary(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && MAGIC.every((byte, index) => bytes[index] === byte);
}

/**
 * The batch as the JSON message would parse (its fields and two arrays), for the topic's schema to
 * check; a TypeError where the bytes do not hold what their header says.
 */
export function decodeSampleBatchBinary(bytes: Uint8Array): Record<string, unknown> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12) throw new TypeError('binary sample batch shorter than its header');
  const metaLength = view.getUint32(4, true);
  if (8 + metaLength + 4 > bytes.length) throw new TypeError('binary sample batch shorter than its header');
  const head: unknown = JSON.parse(
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + metaLength)),
  );
  if (typeof head !== 'object' || head === null || Array.isArray(head))
    throw new TypeError('binary sample batch header is not a JSON object');
  const count = view.getUint32(8 + metaLength, true);
  const dataStart = 8 + metaLength + 4;
  if (dataStart + 16 * count !== bytes.length)
    throw new TypeError(
      `binary sample batch of ${count} samples has ${bytes.length - dataStart} bytes of data`,
    );
  const ts = new Array<number>(count);
  const values = new Array<number>(count);
  let time = 0;
  for (let index = 0; index < count; index += 1) {
    time += view.getFloat64(dataStart + 8 * index, true);
    ts[index] = time;
    values[index] = view.getFloat64(dataStart + 8 * (count + index), true);
  }
  return { ...head, ts, values };
}
