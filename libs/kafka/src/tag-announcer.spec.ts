import { tagPath } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { TagAnnouncer } from './tag-announcer.js';

describe('TagAnnouncer', () => {
  const sent: unknown[][] = [];
  const send = async (messages: readonly unknown[]) => {
    sent.push([...messages]);
  };

  it('announces a tag once, and again only when its description changes', async () => {
    const announcer = new TagAnnouncer(send, () => epochUs(42));
    const width = {
      tag: tagPath('plant1/pltcm/coil/width'),
      source: 'files',
      valueType: 'number',
      unit: 'mm',
    } as const;
    const speed = {
      tag: tagPath('plant1/pltcm/strip/speed'),
      source: 'files',
      valueType: 'number',
      unit: 'm/min',
    } as const;
    expect(await announcer.announce([width, speed])).toBe(2);
    expect(await announcer.announce([width, speed])).toBe(0);
    expect(await announcer.announce([{ ...width, unit: 'in' }, speed])).toBe(1);
    expect(sent).toEqual([
      [
        { key: width.tag, value: { ...width, ts: 42 } },
        { key: speed.tag, value: { ...speed, ts: 42 } },
      ],
      [{ key: width.tag, value: { ...width, unit: 'in', ts: 42 } }],
    ]);
  });

  it('tries again next time when Kafka refused', async () => {
    let fail = true;
    const flaky = async () => {
      if (fail) throw new Error('broker down');
    };
    const announcer = new TagAnnouncer(flaky, () => epochUs(1));
    const tag = { tag: tagPath('plant1/a/b/c'), source: 'mqtt', valueType: 'number' } as const;
    await expect(announcer.announce([tag])).rejects.toThrow('broker down');
    fail = false;
    expect(await announcer.announce([tag])).toBe(1);
  });
});
