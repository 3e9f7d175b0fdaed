import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskQueue, type DiskQueueOptions } from './disk-queue.js';
import { SpoolFullError } from './errors.js';

const text = (value: string): Buffer => Buffer.from(value, 'utf8');
const freshDir = (): string => mkdtempSync(join(tmpdir(), 'millrace-spool-'));
const open = (dir: string, extra: Partial<DiskQueueOptions> = {}) =>
  DiskQueue.open({ dir, maxBytes: 1024 * 1024, ...extra });
const segmentFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort();

function drainAll(queue: DiskQueue): string[] {
  const out: string[] = [];
  for (;;) {
    const batch = queue.peek(3);
    if (batch.records.length === 0) return out;
    out.push(...batch.records.map((record) => record.toString('utf8')));
    queue.commit(batch);
  }
}

describe('DiskQueue', () => {
  it('reads records back in append order, across segments, and consumes only on commit', async () => {
    const dir = freshDir();
    const { queue } = open(dir, { segmentBytes: 40 });
    for (let i = 0; i < 10; i++) await queue.append([text(`record-${i}`)]);
    expect(segmentFiles(dir).length).toBeGreaterThan(2);
    expect(queue.depth).toBe(10);
    expect(queue.peek(2).records.map(String)).toEqual(['record-0', 'record-1']);
    expect(queue.peek(2).records.map(String)).toEqual(['record-0', 'record-1']);
    expect(drainAll(queue)).toEqual(Array.from({ length: 10 }, (_, i) => `record-${i}`));
    expect(queue.depth).toBe(0);
    await queue.close();
  });

  it('deletes segments read to their end and leaves no data on disk once drained', async () => {
    const dir = freshDir();
    const { queue } = open(dir, { segmentBytes: 40 });
    for (let i = 0; i < 10; i++) await queue.append([text(`record-${i}`)]);
    const batch = queue.peek(6);
    queue.commit(batch);
    expect(segmentFiles(dir).length).toBeLessThan(5);
    drainAll(queue);
    expect(queue.diskByteCount).toBe(0);
    expect(segmentFiles(dir).map((name) => statSync(join(dir, name)).size)).toEqual([0]);
    await queue.append([text('after')]);
    expect(drainAll(queue)).toEqual(['after']);
    await queue.close();
  });

  it('resumes after a restart at the committed cursor: uncommitted records are read again', async () => {
    const dir = freshDir();
    const first = open(dir, { segmentBytes: 64 }).queue;
    await first.append(['a', 'b', 'c', 'd', 'e'].map(text));
    first.commit(first.peek(2));
    first.peek(2); // read but not committed: a crash before the send was acknowledged
    await first.close();
    const { queue, report } = open(dir, { segmentBytes: 64 });
    expect(report).toMatchObject({ records: 3, truncated: [] });
    expect(drainAll(queue)).toEqual(['c', 'd', 'e']);
    await queue.close();
  });

  it('cuts a torn last record (crash mid-write) instead of misreading it, and appends after the cut', async () => {
    const dir = freshDir();
    const first = open(dir).queue;
    await first.append([text('whole-1'), text('whole-2'), text('torn-record')]);
    await first.close();
    const [segment] = segmentFiles(dir);
    const path = join(dir, segment ?? '');
    truncateSync(path, statSync(path).size - 4);
    const { queue, report } = open(dir);
    expect(report.records).toBe(2);
    expect(report.truncated).toEqual([
      { segment: 1, offset: 30, droppedBytes: 15, reason: 'torn record (shorter than its length)' },
    ]);
    await queue.append([text('next')]);
    expect(drainAll(queue)).toEqual(['whole-1', 'whole-2', 'next']);
    await queue.close();
  });

  it('cuts a torn header', async () => {
    const dir = freshDir();
    const first = open(dir).queue;
    await first.append([text('whole')]);
    await first.close();
    appendFileSync(join(dir, segmentFiles(dir)[0] ?? ''), Buffer.from([0, 0, 0]));
    const { queue, report } = open(dir);
    expect(report.truncated[0]?.reason).toBe('torn record header');
    expect(drainAll(queue)).toEqual(['whole']);
    await queue.close();
  });

  it('cuts at a record whose bytes fail the CRC (a garbage tail after power loss)', async () => {
    const dir = freshDir();
    const first = open(dir).queue;
    await first.append([text('good'), text('flipped')]);
    await first.close();
    const path = join(dir, segmentFiles(dir)[0] ?? '');
    const bytes = readFileSync(path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(path, bytes);
    const { queue, report } = open(dir);
    expect(report.truncated[0]?.reason).toBe('record fails its CRC');
    expect(drainAll(queue)).toEqual(['good']);
    await queue.close();
  });

  it('treats a length field pointing past the file as torn, not as a giant record', async () => {
    const dir = freshDir();
    const first = open(dir).queue;
    await first.append([text('good')]);
    await first.close();
    appendFileSync(
      join(dir, segmentFiles(dir)[0] ?? ''),
      Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5]),
    );
    const { queue, report } = open(dir);
    expect(report.truncated).toHaveLength(1);
    expect(drainAll(queue)).toEqual(['good']);
    await queue.close();
  });

  it('rereads from the oldest segment when the cursor file is garbage, and says so', async () => {
    const dir = freshDir();
    const first = open(dir).queue;
    await first.append(['a', 'b'].map(text));
    first.commit(first.peek(1));
    await first.close();
    writeFileSync(join(dir, 'cursor.json'), '{"segm');
    const { queue, report } = open(dir);
    expect(report.cursorReset).toMatch(/unreadable cursor.json/);
    expect(drainAll(queue)).toEqual(['a', 'b']);
    await queue.close();
  });

  it('refuses an append beyond maxBytes, writing none of it, and accepts again after a commit', async () => {
    const dir = freshDir();
    const { queue } = open(dir, { maxBytes: 50, segmentBytes: 20 });
    // 8 + 10 bytes each, one segment each: space comes back a segment at a time
    await queue.append([text('0123456789')]);
    await queue.append([text('0123456789')]);
    expect(() => queue.append([text('0123456789')])).toThrow(SpoolFullError);
    expect(queue.depth).toBe(2);
    expect(queue.diskByteCount).toBe(36);
    queue.commit(queue.peek(1));
    await queue.append([text('abcdefghij')]);
    expect(drainAll(queue)).toEqual(['0123456789', 'abcdefghij']);
    await queue.close();
  });

  it('shares one fdatasync among concurrent appends and keeps their order', async () => {
    const dir = freshDir();
    const { queue } = open(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => queue.append([text(String(i))])));
    expect(drainAll(queue)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    await queue.close();
  });

  it('commits a prefix of a batch', async () => {
    const dir = freshDir();
    const { queue } = open(dir);
    await queue.append(['a', 'b', 'c'].map(text));
    queue.commit(queue.peek(3), 2);
    expect(queue.depth).toBe(1);
    expect(drainAll(queue)).toEqual(['c']);
    await queue.close();
  });
});
