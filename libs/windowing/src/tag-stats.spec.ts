import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { TagStats } from './tag-stats.js';

describe('TagStats', () => {
  it('counts each outcome per tag and restarts at zero after a drain', () => {
    const stats = new TagStats();
    const a = stats.of('plant1/a');
    stats.count(a, 'accepted');
    stats.count(a, 'accepted');
    stats.count(a, 'late');
    stats.count(stats.of('plant1/b'), 'too-late');
    stats.of('plant1/b').deadLetters += 2;
    expect(stats.drain(epochUs(5))).toEqual([
      { ts: 5, tag: 'plant1/a', onTime: 2, late: 1, tooLate: 0, deadLetters: 0 },
      { ts: 5, tag: 'plant1/b', onTime: 0, late: 0, tooLate: 1, deadLetters: 2 },
    ]);
    expect(stats.drain(epochUs(6))).toEqual([]);
    stats.count(stats.of('plant1/a'), 'late');
    expect(stats.drain(epochUs(7))).toEqual([
      { ts: 7, tag: 'plant1/a', onTime: 0, late: 1, tooLate: 0, deadLetters: 0 },
    ]);
  });
});
