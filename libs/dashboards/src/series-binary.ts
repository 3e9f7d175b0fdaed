/**
 * A compact answer of `GET /api/series` for clients that ask for it (`Accept:` {@link SERIES_BINARY_TYPE}):
 * the same answer as the JSON one, its number arrays as little-endian float64 columns instead of text.
 * A 100-tag day is 865k numbers, most of them 17-digit doubles: as JSON, writing and parsing the text
 * cost more than reading the data from QuestDB; as columns they are copied, not formatted.
 *
 * Layout: the ASCII magic `MRS1`; a uint32 length and that many bytes of UTF-8 JSON, the answer with
 * each series' arrays replaced by `{ length, columns: [names] }`; zero padding to a multiple of 8; then
 * per series, per column in that order, `length` float64 values. A `null` (a gap) is a NaN.
 */
export const SERIES_BINARY_TYPE = 'application/vnd.millrace.series+binary';

const MAGIC = 'MRS1';
const HEADER_BYTES = 8;

type Column = readonly (number | null)[] | Float64Array;
type WireSeries = Record<string, unknown>;

interface PackedSeries {
  length: number;
  columns: string[];
  [field: string]: unknown;
}

/** Float64Arrays are in the platform's byte order; the format's is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f;

/**
 * Encodes a series answer whose `series` items hold columns of equal length (times, min, ...): number
 * arrays (null for a gap) or Float64Arrays (NaN for a gap). The answer comes in parts to be written one
 * after the other: the header, then each column; a Float64Array column is not copied but viewed.
 */
export function encodeSeriesBinaryParts(answer: { series: readonly object[] }): Uint8Array[] {
  const columns: Column[] = [];
  const series = answer.series.map((item) => {
    const packed: PackedSeries = { length: 0, columns: [] };
    for (const [field, value] of Object.entries(item)) {
      if (Array.isArray(value) || value instanceof Float64Array) {
        packed.columns.push(field);
        packed.length = value.length;
        columns.push(value as Column);
      } else packed[field] = value;
    }
    return packed;
  });
  const meta = new TextEncoder().encode(JSON.stringify({ ...answer, series }));
  const header = new Uint8Array(Math.ceil((HEADER_BYTES + meta.length) / 8) * 8);
  for (let index = 0; index < MAGIC.length; index += 1) header[index] = MAGIC.charCodeAt(index);
  new DataView(header.buffer).setUint32(4, meta.length, true);
  header.set(meta, HEADER_BYTES);
  return [header, ...columns.map(columnBytes)];
}

function columnBytes(column: Column): Uint8Array {
  if (column instanceof Float64Array && LITTLE_ENDIAN)
    return new Uint8Array(column.buffer, column.byteOffset, column.byteLength);
  const bytes = new Uint8Array(column.length * 8);
  const view = new DataView(bytes.buffer);
  for (let index = 0; index < column.length; index += 1)
    view.setFloat64(index * 8, column[index] ?? Number.NaN, true);
  return bytes;
}

/** {@link encodeSeriesBinaryParts} joined into one buffer. */
export function encodeSeriesBinary(answer: { series: readonly object[] }): Uint8Array {
  const parts = encodeSeriesBinaryParts(answer);
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/** Decodes {@link encodeSeriesBinary}'s bytes back to the JSON answer's shape (NaN → null). */
export function decodeSeriesBinary(buffer: ArrayBuffer): unknown {
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) throw new Error(`not a series answer (starts with ${JSON.stringify(magic)})`);
  const metaLength = new DataView(buffer).getUint32(4, true);
  const answer = JSON.parse(
    new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + metaLength)),
  ) as { series: PackedSeries[] };
  const dataStart = Math.ceil((HEADER_BYTES + metaLength) / 8) * 8;
  const values = (buffer.byteLength - dataStart) / 8;
  const floats = new Float64Array(buffer, dataStart, Number.isInteger(values) ? values : 0);
  let at = 0;
  const series = answer.series.map(({ length, columns, ...rest }) => {
    const item: WireSeries = { ...rest };
    for (const name of columns) {
      if (at + length > floats.length) throw new Error('series answer shorter than its header says');
      const column = new Array<number | null>(length);
      for (let index = 0; index < length; index += 1) {
        const value = floats[at + index] as number;
        column[index] = Number.isNaN(value) ? null : value;
      }
      item[name] = column;
      at += length;
    }
    return item;
  });
  return { ...answer, series };
}
