import { open } from 'node:fs/promises';
import { nowUs } from '@millrace/time';
import { ChunkBuilder, type EncodedMessage } from './chunk.js';
import { CsvReader } from './csv.js';
import { FileProfileError } from './errors.js';
import { compileFileMapping, type FileMapping } from './mapping.js';
import type { FileProfile } from './profile.js';

/** A row that could not be read or mapped: for the dead-letter topic, with where it stood and why. */
export interface BadRow {
  line: number;
  /** The row's cells joined again (empty for an unreadable record). */
  raw: string;
  reason: string;
}

/** A run of rows of one file, encoded for Kafka, and where it ends in the file. */
export interface FileChunk {
  samples: EncodedMessage[];
  records: EncodedMessage[];
  bad: BadRow[];
  /** Physical line of the chunk's last row: a resume starts after it. */
  lastLine: number;
  /** Good and bad rows in this chunk. */
  rows: number;
  badRows: number;
  /** Bytes of the file read so far (read ahead of the chunk's end). */
  bytesRead: number;
}

export interface ReadChunksOptions {
  path: string;
  fileName: string;
  profile: FileProfile;
  plantTimeZone: string;
  /** Lines up to this one were read before (a resume): skipped. */
  resumeAfterLine: number;
  /** Rows (good and bad) per chunk; the last chunk may have fewer. */
  chunkRows: number;
  /** Samples per `plant.samples.v1` message. */
  batchSamples: number;
}

const READ_BYTES = 1 << 20; // 1 MiB a read, into the CSV reader's own buffer

/**
 * Reads a flat file as its profile says, streaming, into chunks of `chunkRows` rows: samples turned
 * wide → long and encoded, records, and bad rows with their line and reason. `onChunk` is awaited, so
 * a slow consumer holds the reading. A file whose header its profile cannot read throws a
 * {@link FileProfileError}.
 */
export async function readChunks(
  options: ReadChunksOptions,
  onSampleTags: (tags: FileMapping['sampleTags']) => void,
  onChunk: (chunk: FileChunk) => Promise<void>,
): Promise<void> {
  const { profile, fileName, resumeAfterLine } = options;
  const input = await open(options.path, 'r');
  let bytesRead = 0;
  const reader = new CsvReader({ delimiter: profile.delimiter, encoding: profile.encoding });
  const builder = new ChunkBuilder(profile, `file:${fileName}`, options.batchSamples);
  const header: string[][] = [];
  let mapping: FileMapping | undefined;
  let bad: BadRow[] = [];
  let rows = 0;
  let badRows = 0;
  let lastLine = resumeAfterLine;

  const emit = async () => {
    const messages = builder.take(nowUs());
    const chunk: FileChunk = { ...messages, bad, lastLine, rows, badRows, bytesRead };
    bad = [];
    rows = 0;
    badRows = 0;
    await onChunk(chunk);
  };

  try {
    for (let step = reader.next(); step !== 'end'; step = reader.next()) {
      if (step === 'more') {
        const read = await input.read(reader.room(READ_BYTES), 0, READ_BYTES, null);
        if (read.bytesRead === 0) reader.end();
        else reader.written(read.bytesRead);
        bytesRead += read.bytesRead;
        continue;
      }
      const line = reader.line;
      if (step === 'unreadable') {
        if (line <= resumeAfterLine) continue;
        bad.push({ line, raw: '', reason: `unreadable CSV: ${reader.reason}` });
        badRows += 1;
      } else if (header.length < profile.headerRows) {
        header.push(reader.texts());
        if (header.length === profile.headerRows) {
          mapping = compileFileMapping(profile, header, { fileName, plantTimeZone: options.plantTimeZone });
          onSampleTags(mapping.sampleTags);
        }
        continue;
      } else if (line > resumeAfterLine && mapping !== undefined) {
        const result = mapping.mapRow(reader);
        if (result.ok) {
          builder.add(result.row);
          rows += 1;
        } else {
          bad.push({ line, raw: reader.texts().join(profile.delimiter), reason: result.reason });
          badRows += 1;
        }
      } else continue;
      lastLine = line;
      if (rows + badRows >= options.chunkRows) await emit();
    }
    if (mapping === undefined) {
      throw new FileProfileError(`${fileName}: ends before its ${profile.headerRows} header line(s)`, {
        file: fileName,
      });
    }
    if (rows + badRows > 0) await emit();
  } finally {
    await input.close();
  }
}
