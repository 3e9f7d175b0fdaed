import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, TOPICS } from '@millrace/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { packChunk, unpackChunk } from './chunk-reader.js';
import { DEFAULT_PROFILES } from './defaults.js';
import { FileProfileError } from './errors.js';
import { readChunks, type FileChunk, type ReadChunksOptions } from './file-chunks.js';
import { fixtureFile } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'file-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const meas = DEFAULT_PROFILES.find((profile) => profile.name === 'MEAS');
if (!meas) throw new Error('no MEAS profile');

/** A MEAS file of 2,500 rows (header: 2 lines) with rows 3 and 1,204 (lines 5 and 1,206) broken. */
function brokenMeas(): { path: string; name: string; lines: string[] } {
  const file = fixtureFile('MEAS', { coilId: 'CHUNKS', startWallMs: Date.UTC(2025, 0, 13), rows: 2_500 });
  const lines = file.bytes.toString('latin1').split('\r\n');
  lines[4] = lines[4]!.replace(/;[^;]*$/, ';not-a-number');
  lines[1205] = `"${lines[1205]}`; // a quote never closed on its line: unreadable
  const path = join(dir, file.name);
  writeFileSync(path, lines.join('\r\n'), 'latin1');
  return { path, name: file.name, lines };
}

async function readAll(options: Partial<ReadChunksOptions> & Pick<ReadChunksOptions, 'path' | 'fileName'>) {
  const chunks: FileChunk[] = [];
  const tags: string[] = [];
  await readChunks(
    {
      profile: meas!,
      plantTimeZone: 'Europe/Berlin',
      resumeAfterLine: 0,
      chunkRows: 1_000,
      batchSamples: 500,
      ...options,
    },
    (sampleTags) => tags.push(...sampleTags.map((sample) => sample.tag)),
    async (chunk) => {
      chunks.push(chunk);
    },
  );
  return { chunks, tags };
}

describe('readChunks', () => {
  it('reads a file into chunks of chunkRows rows, bad rows with their line and reason, good rows around them kept', async () => {
    const file = brokenMeas();
    const { chunks, tags } = await readAll({ path: file.path, fileName: file.name });
    expect(tags).toHaveLength(11);
    expect(chunks.map((chunk) => chunk.rows + chunk.badRows)).toEqual([1_000, 1_000, 500]);
    expect(chunks.map((chunk) => chunk.lastLine)).toEqual([1_002, 2_002, 2_502]);
    expect(chunks.reduce((sum, chunk) => sum + chunk.rows, 0)).toBe(2_498);
    const bad = chunks.flatMap((chunk) => chunk.bad);
    expect(bad.map((row) => row.line)).toEqual([5, 1_206]);
    expect(bad[0]!.reason).toMatch(/not-a-number/);
    expect(bad[1]!.reason).toMatch(/^unreadable CSV: /);
    // Every sample batch decodes against the topic's schema; 11 tags × 2,498 good rows.
    let samples = 0;
    for (const message of chunks.flatMap((chunk) => chunk.samples)) {
      const decoded = decodeMessage(TOPICS.samples, message.value);
      if (!decoded.ok) throw new Error(decoded.reason);
      expect(decoded.value.tag).toBe(message.key);
      samples += decoded.value.ts.length;
    }
    expect(samples).toBe(11 * 2_498);
  });

  it('resumes after a line: earlier rows are skipped, the rest read as before', async () => {
    const file = brokenMeas();
    const { chunks } = await readAll({ path: file.path, fileName: file.name, resumeAfterLine: 1_500 });
    expect(chunks.reduce((sum, chunk) => sum + chunk.rows + chunk.badRows, 0)).toBe(1_002);
    expect(chunks.flatMap((chunk) => chunk.bad)).toEqual([]);
    expect(chunks.at(-1)?.lastLine).toBe(2_502);
  });

  it('throws a FileProfileError for a file that ends inside its header', async () => {
    const path = join(dir, 'MEAS_SHORT.csv');
    writeFileSync(path, 'Time;MP00\r\n');
    await expect(readAll({ path, fileName: 'MEAS_SHORT.csv' })).rejects.toBeInstanceOf(FileProfileError);
  });

  it('survives packing for another thread: the same keys and bytes', async () => {
    const file = brokenMeas();
    const { chunks } = await readAll({ path: file.path, fileName: file.name });
    const chunk = chunks[0]!;
    const copy = unpackChunk(structuredClone(packChunk(chunk)));
    expect(copy.samples.map((message) => message.key)).toEqual(chunk.samples.map((message) => message.key));
    expect(copy.samples.map((message) => message.value.toString())).toEqual(
      chunk.samples.map((message) => message.value.toString()),
    );
    expect(copy.records).toEqual(chunk.records);
    expect({ ...copy, samples: [], records: [] }).toEqual({ ...chunk, samples: [], records: [] });
  });
});
