import { SpoolError } from './errors.js';

/** One Kafka message as the spool keeps it: the value already encoded (and so already validated). */
export interface RawMessage {
  key: string;
  value: Uint8Array;
  headers?: Record<string, string>;
}

/** One spool record: the messages of one publish call, for one topic, in order. */
export interface SpoolRecord {
  topic: string;
  messages: RawMessage[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const NO_HEADERS = 0xffffffff;

// Binary rather than JSON: message values are JSON text already, and quoting them again would
// double their size on disk. Layout: u16 topic length, topic, u32 count, then per message
// u32 key length, key, u32 value length, value, u32 headers length (0xffffffff: none), headers JSON.
export function encodeRecord(record: SpoolRecord): Uint8Array {
  const topic = encoder.encode(record.topic);
  const parts: Uint8Array[] = [];
  let size = 2 + topic.byteLength + 4;
  for (const message of record.messages) {
    const key = encoder.encode(message.key);
    const headers = message.headers ? encoder.encode(JSON.stringify(message.headers)) : undefined;
    parts.push(key, message.value, headers ?? new Uint8Array(0));
    size += 12 + key.byteLength + message.value.byteLength + (headers?.byteLength ?? 0);
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt16BE(topic.byteLength, 0);
  out.set(topic, at);
  at += topic.byteLength;
  at = out.writeUInt32BE(record.messages.length, at);
  record.messages.forEach((message, index) => {
    const [key, value, headers] = [parts[index * 3], parts[index * 3 + 1], parts[index * 3 + 2]] as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    at = out.writeUInt32BE(key.byteLength, at);
    out.set(key, at);
    at += key.byteLength;
    at = out.writeUInt32BE(value.byteLength, at);
    out.set(value, at);
    at += value.byteLength;
    at = out.writeUInt32BE(message.headers ? headers.byteLength : NO_HEADERS, at);
    out.set(headers, at);
    at += headers.byteLength;
  });
  return out;
}

export function decodeRecord(bytes: Uint8Array): SpoolRecord {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    let at = 0;
    const take = (length: number): Buffer => {
      if (at + length > data.length) throw new RangeError('record ends early');
      const slice = data.subarray(at, at + length);
      at += length;
      return slice;
    };
    const topic = decoder.decode(take(take(2).readUInt16BE(0)));
    const count = take(4).readUInt32BE(0);
    const messages: RawMessage[] = [];
    for (let i = 0; i < count; i++) {
      const key = decoder.decode(take(take(4).readUInt32BE(0)));
      const value = take(take(4).readUInt32BE(0));
      const headersLength = take(4).readUInt32BE(0);
      const headers =
        headersLength === NO_HEADERS
          ? undefined
          : (JSON.parse(decoder.decode(take(headersLength))) as Record<string, string>);
      messages.push({ key, value, ...(headers ? { headers } : {}) });
    }
    if (at !== data.length) throw new RangeError(`${data.length - at} bytes after the last message`);
    return { topic, messages };
  } catch (error) {
    throw new SpoolError(
      `undecodable spool record: ${(error as Error).message}`,
      false,
      {},
      { cause: error },
    );
  }
}
