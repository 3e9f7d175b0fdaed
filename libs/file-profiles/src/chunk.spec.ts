import { decodeMessage, encodeMessage, TOPICS } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { ChunkBuilder, MAX_SAMPLES_PER_BATCH } from './chunk.js';
import { DEFAULT_PROFILES } from './defaults.js';
import type { MappedRow, RecordInput } from './mapping.js';
import type { FileProfile } from './profile.js';

const strip = DEFAULT_PROFILES.find((p) => p.name === 'STRIP') as FileProfile;
const ingestTs = epochUs(1_736_809_000_123_456);

function decoded<T>(result: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

function row(ts: number, values: number[], record?: RecordInput): MappedRow {
  return { ts: epochUs(ts), key: 'C1', values, ...(record ? { record } : {}) };
}

describe('ChunkBuilder', () => {
  it('writes binary batches that decode to the samples schema and to the very doubles', () => {
    const values = [
      0,
      -0,
      1,
      -1,
      2.499,
      2.4991,
      0.1,
      0.25,
      0.001,
      -0.0005,
      123456789.123,
      1e-7,
      1.5e-10,
      9007199254740991,
      1e21,
      1234.5678901234567,
      Math.PI,
      -Math.E,
      1 / 3,
      390.0,
      0.30000000000000004,
    ];
    const chunk = new ChunkBuilder(strip, 'file:STRIP_C1.csv', 7);
    values.forEach((value, index) =>
      chunk.add(row(1_736_809_000_000_000 + index * 1000, [value, value, value])),
    );
    const { samples } = chunk.take(ingestTs);
    const batches = samples.map((message) => decoded(decodeMessage(TOPICS.samples, message.value)));
    expect(batches.map((batch) => batch.ts.length)).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 7]);
    const first = batches.filter((batch) => batch.tag === strip.samples?.[0]?.tag);
    expect(first.flatMap((batch) => batch.values as number[])).toEqual(
      values.map((value) => (value === 0 ? 0 : value)),
    );
    expect(first.flatMap((batch) => batch.ts)).toEqual(
      values.map((_, index) => 1_736_809_000_000_000 + index * 1000),
    );
    expect(first[0]).toMatchObject({ tag: strip.samples?.[0]?.tag, source: 'file:STRIP_C1.csv', ingestTs });
    // Same content as the checked path's bytes: parse both and compare.
    for (const batch of first)
      expect(JSON.parse(Buffer.from(encodeMessage(TOPICS.samples, batch)).toString())).toEqual(batch);
  });

  it('leaves out empty cells (NaN) per column, so columns can have different counts', () => {
    const chunk = new ChunkBuilder(strip, 'file:STRIP_C1.csv');
    chunk.add(row(1_000_000, [1.5, Number.NaN, 0]));
    chunk.add(row(2_000_000, [Number.NaN, Number.NaN, 1]));
    const batches = chunk.take(ingestTs).samples.map((m) => decoded(decodeMessage(TOPICS.samples, m.value)));
    expect(batches.map((batch) => [batch.tag.split('/').at(-1), batch.ts, batch.values])).toEqual([
      ['StripPosition', [1_000_000], [1.5]],
      ['WeldDetected', [1_000_000, 2_000_000], [0, 1]],
    ]);
  });

  it('encodes records as JSON.stringify does, keyed by the row key', () => {
    const record: RecordInput = {
      kind: 'strip',
      line: 'pltcm',
      coilId: 'C1',
      ts: 1_000_000,
      source: 'file:S',
      values: { StripSpeed: 390.5 },
    };
    const chunk = new ChunkBuilder(strip, 'file:S');
    chunk.add(row(1_000_000, [1, 2, 3], record));
    const { records } = chunk.take(ingestTs);
    expect(records).toHaveLength(1);
    expect(records[0]?.key).toBe('C1');
    expect(decoded(decodeMessage(TOPICS.records, records[0]?.value ?? null))).toEqual(record);
  });

  it('refuses a batch size the schema would refuse', () => {
    expect(() => new ChunkBuilder(strip, 's', MAX_SAMPLES_PER_BATCH + 1)).toThrow(RangeError);
    expect(() => new ChunkBuilder(strip, 's', 0)).toThrow(RangeError);
  });
});
