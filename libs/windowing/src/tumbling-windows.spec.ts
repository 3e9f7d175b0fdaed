import { tagPath, type TagPath } from '@millrace/schema';
import { epochUs, type EpochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import type { WindowAggregate } from './aggregate.js';
import { RESOLUTION_US, RESOLUTIONS, windowStart, type Resolution } from './resolution.js';
import { TumblingWindows, type TumblingWindowsOptions, type WindowUpdate } from './tumbling-windows.js';
import { seededRandom } from '@millrace/plant-sim';

const S = 1_000_000;
const M = 60 * S;
const H = 60 * M;
/** 2025-01-13T23:00:00Z: a boundary of every resolution. */
const T0 = 1_736_809_200 * S;

const force = tagPath('plant1/coldmill/pltcm/stand3/roll_force');
const speed = tagPath('plant1/coldmill/pltcm/stand3/speed');

const at = (offsetUs: number): EpochUs => epochUs(T0 + offsetUs);

function store(options: Partial<TumblingWindowsOptions> = {}): TumblingWindows {
  return new TumblingWindows({
    resolutions: ['1s', '1m', '1h'],
    allowedLatenessUs: 2 * S,
    idleTimeoutUs: 30 * S,
    ...options,
  });
}

const key = (window: { tag: TagPath; resolution: Resolution; start: number }): string =>
  `${window.tag} ${window.resolution} ${window.start}`;

function find(updates: readonly WindowUpdate[], tag: TagPath, resolution: Resolution, start: number) {
  return updates.find((u) => u.tag === tag && u.resolution === resolution && u.start === start);
}

interface TestSample {
  tag: TagPath;
  ts: EpochUs;
  value: number;
}

/** Brute force: group by window, sort each group by time (stable, so ties stay in arrival order). */
function bruteForce(
  samples: readonly TestSample[],
  resolutions: readonly Resolution[],
): Map<string, WindowAggregate> {
  const groups = new Map<string, TestSample[]>();
  for (const sample of samples) {
    for (const resolution of resolutions) {
      const k = key({ tag: sample.tag, resolution, start: windowStart(sample.ts, resolution) });
      const group = groups.get(k) ?? [];
      group.push(sample);
      groups.set(k, group);
    }
  }
  const result = new Map<string, WindowAggregate>();
  for (const [k, group] of groups) {
    const [tag, resolution] = k.split(' ') as [TagPath, Resolution];
    const sorted = [...group].sort((a, b) => a.ts - b.ts);
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    const values = group.map((sample) => sample.value);
    result.set(k, {
      tag,
      resolution,
      start: windowStart(first.ts, resolution),
      min: Math.min(...values),
      max: Math.max(...values),
      first: first.value,
      last: last.value,
      sum: values.reduce((sum, value) => sum + value, 0),
      count: group.length,
      firstTs: first.ts,
      lastTs: last.ts,
    });
  }
  return result;
}

function withoutClosed(update: WindowUpdate): WindowAggregate {
  const { tag, resolution, start, min, max, first, last, sum, count, firstTs, lastTs } = update;
  return { tag, resolution, start, min, max, first, last, sum, count, firstTs, lastTs };
}

/** Plays upserts into a keyed table, as QuestDB's DEDUP UPSERT KEYS(ts, tag) would. */
function upsert(table: Map<string, WindowAggregate>, updates: readonly WindowUpdate[]): void {
  for (const update of updates) {
    table.set(key(update), withoutClosed(update));
  }
}

describe('TumblingWindows options', () => {
  it('refuses invalid options', () => {
    expect(() => store({ resolutions: [] })).toThrow(RangeError);
    expect(() => store({ resolutions: ['1s', '1s'] })).toThrow(RangeError);
    expect(() => store({ resolutions: ['5m' as Resolution] })).toThrow(RangeError);
    expect(() => store({ allowedLatenessUs: -1 })).toThrow(RangeError);
    expect(() => store({ allowedLatenessUs: Infinity })).toThrow(RangeError);
    expect(() => store({ idleTimeoutUs: -1 })).toThrow(RangeError);
    expect(() => store({ idleTimeoutUs: Infinity })).not.toThrow();
  });

  it('maintains only the configured resolutions', () => {
    const windows = store({ resolutions: ['1m'] });
    windows.add(force, at(0), 1);
    const updates = windows.takeUpdates();
    expect(updates.map((u) => u.resolution)).toEqual(['1m']);
    expect(windows.stats().byResolution['1s']).toEqual({ accepted: 0, late: 0, tooLate: 0, openWindows: 0 });
  });
});

describe('TumblingWindows.add', () => {
  it('aggregates in-order samples into one window per resolution', () => {
    const windows = store();
    expect(windows.add(force, at(100), 5)).toBe('accepted');
    expect(windows.add(force, at(200), 3)).toBe('accepted');
    expect(windows.add(force, at(300), 8)).toBe('accepted');
    const updates = windows.takeUpdates();
    expect(updates).toHaveLength(3);
    for (const resolution of RESOLUTIONS) {
      expect(find(updates, force, resolution, T0)).toEqual({
        tag: force,
        resolution,
        start: T0,
        min: 3,
        max: 8,
        first: 5,
        last: 8,
        sum: 16,
        count: 3,
        firstTs: T0 + 100,
        lastTs: T0 + 300,
        closed: false,
      });
    }
    expect(windows.takeUpdates()).toEqual([]);
  });

  it('puts a sample on a boundary in the next window and one a microsecond before in the previous', () => {
    const windows = store({ allowedLatenessUs: 10 * S });
    windows.add(force, at(S - 1), 1);
    windows.add(force, at(S), 2);
    const updates = windows.takeUpdates();
    expect(find(updates, force, '1s', T0)).toMatchObject({ count: 1, sum: 1 });
    expect(find(updates, force, '1s', T0 + S)).toMatchObject({ count: 1, sum: 2 });
    expect(find(updates, force, '1m', T0)).toMatchObject({ count: 2, sum: 3 });
  });

  it('takes first and last by event time, not arrival order; ties keep the first-seen first and last-seen last', () => {
    const windows = store({ resolutions: ['1s'] });
    windows.add(force, at(500), 1);
    windows.add(force, at(100), 2); // late, but the earliest: becomes first
    windows.add(force, at(100), 3); // same instant, seen later: first stays 2
    windows.add(force, at(400), 4); // neither first nor last
    windows.add(force, at(500), 5); // same instant as the newest, seen later: becomes last
    const [window] = windows.takeUpdates();
    expect(window).toMatchObject({ first: 2, firstTs: T0 + 100, last: 5, lastTs: T0 + 500, count: 5 });
  });

  it('keeps watermarks per tag: one tag running ahead does not make another late', () => {
    const windows = store();
    windows.add(force, at(H), 1);
    expect(windows.add(speed, at(0), 1)).toBe('accepted');
    expect(windows.watermark(force)).toBe(T0 + H - 2 * S);
    expect(windows.watermark(speed)).toBe(T0 - 2 * S);
    expect(windows.maxEventTs(speed)).toBe(T0);
    expect(windows.maxEventTs(tagPath('plant1/coldmill/pltcm/stand3/unknown'))).toBeUndefined();
  });

  it('applies a late sample within the lateness and re-emits its window', () => {
    const windows = store();
    windows.add(force, at(500_000), 10); // window [T0, T0+1s) stays open until the watermark reaches T0+1s
    windows.add(force, at(2_900_000), 20); // watermark T0+0.9s
    windows.takeUpdates();
    expect(windows.add(force, at(200_000), 30)).toBe('late');
    const updates = windows.takeUpdates();
    expect(find(updates, force, '1s', T0)).toMatchObject({
      count: 2,
      sum: 40,
      first: 30,
      last: 10,
      closed: false,
    });
    expect(find(updates, force, '1m', T0)).toMatchObject({ count: 3, sum: 60, first: 30, last: 20 });
    expect(updates).toHaveLength(3); // the 1 s window at T0+2s did not change
    expect(windows.stats()).toMatchObject({ accepted: 2, late: 1, tooLate: 0 });
  });

  it('counts and skips a too-late sample, while still applying it where its window is open', () => {
    const windows = store();
    windows.add(force, at(100), 1);
    windows.add(force, at(5 * S), 2); // watermark T0+3s: the 1 s windows at T0..T0+2s are closed
    windows.takeUpdates();
    expect(windows.add(force, at(200), 50)).toBe('too-late');
    const updates = windows.takeUpdates();
    expect(find(updates, force, '1s', T0)).toBeUndefined();
    expect(find(updates, force, '1m', T0)).toMatchObject({ count: 3, sum: 53, min: 1, max: 50, first: 1 });
    expect(find(updates, force, '1h', T0)).toMatchObject({ count: 3, sum: 53 });
    const stats = windows.stats();
    expect(stats).toMatchObject({ accepted: 2, late: 0, tooLate: 1 });
    expect(stats.byResolution['1s']).toMatchObject({ accepted: 2, late: 0, tooLate: 1 });
    expect(stats.byResolution['1m']).toMatchObject({ accepted: 2, late: 1, tooLate: 0 });
    expect(stats.byResolution['1h']).toMatchObject({ accepted: 2, late: 1, tooLate: 0 });
  });

  it('rejects a sample at every resolution once even its hour has closed', () => {
    const windows = store();
    windows.add(force, at(0), 1);
    windows.add(force, at(H + 3 * S), 2); // watermark T0+1h+1s: the whole first hour is closed
    windows.takeUpdates();
    expect(windows.add(force, at(10), 50)).toBe('too-late');
    expect(windows.takeUpdates()).toEqual([]);
    for (const resolution of RESOLUTIONS) {
      expect(windows.stats().byResolution[resolution].tooLate).toBe(1);
    }
  });

  it('rejects a sample for a window that never opened but is behind the watermark', () => {
    const windows = store({ resolutions: ['1s'] });
    windows.add(force, at(10 * S), 1);
    expect(windows.add(force, at(3 * S), 2)).toBe('too-late');
    expect(windows.stats().openWindows).toBe(1);
  });
});

describe('TumblingWindows closing', () => {
  it('closes a window exactly when end + lateness <= the tag’s newest event time', () => {
    const windows = store({ resolutions: ['1s'] });
    windows.add(force, at(0), 1);
    windows.add(force, at(S + 2 * S - 1), 2); // end + lateness - 1: still open
    let updates = windows.takeUpdates();
    expect(find(updates, force, '1s', T0)?.closed).toBe(false);
    expect(windows.stats().openWindows).toBe(2);
    expect(windows.add(force, at(500_000), 3)).toBe('late'); // still accepted

    windows.add(force, at(S + 2 * S), 4); // watermark reaches the end
    updates = windows.takeUpdates();
    expect(find(updates, force, '1s', T0)).toMatchObject({ closed: true, count: 2, sum: 4 });
    expect(windows.stats().openWindows).toBe(2); // [T0+2s, T0+3s) and [T0+3s, T0+4s)
  });

  it('emits a closing window once as final even if unchanged, then evicts it', () => {
    const windows = store({ resolutions: ['1s'] });
    windows.add(force, at(0), 1);
    expect(windows.takeUpdates()).toHaveLength(1);
    windows.add(force, at(10 * S), 2);
    const updates = windows.takeUpdates();
    expect(updates.map((u) => [u.start - T0, u.closed])).toEqual([
      [0, true],
      [10 * S, false],
    ]);
    expect(windows.stats()).toMatchObject({ openWindows: 1, pendingUpdates: 0 });
    windows.add(force, at(10 * S + 1), 3);
    expect(windows.takeUpdates().map((u) => u.start - T0)).toEqual([10 * S]);
    expect(windows.add(force, at(1), 9)).toBe('too-late');
  });

  it('reports each changed window exactly once per takeUpdates call', () => {
    const windows = store({ allowedLatenessUs: 3 * S });
    const random = seededRandom(7);
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 200; i++) {
        const ts = at(round * 2 * S + Math.floor(random() * 2 * S));
        windows.add(random() < 0.5 ? force : speed, ts, i);
      }
      const updates = windows.takeUpdates();
      const keys = updates.map(key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(updates.length).toBeGreaterThan(0);
    }
  });

  it('includes a window that changed and closed in the same period once, as final', () => {
    const windows = store({ resolutions: ['1s'] });
    windows.add(force, at(0), 1);
    windows.add(force, at(100), 2);
    windows.add(force, at(5 * S), 3);
    const updates = windows.takeUpdates();
    expect(updates.filter((u) => u.start === T0)).toEqual([
      expect.objectContaining({ closed: true, count: 2 }),
    ]);
  });

  it('never changes a window after reporting it final (random lateness, small allowance)', () => {
    const resolutions = ['1s', '1m'] as const;
    const windows = store({ resolutions, allowedLatenessUs: 1500 * 1000 });
    const random = seededRandom(99);
    const applied = new Map<string, TestSample[]>();
    const maxTs = new Map<TagPath, number>();
    const final = new Set<string>();
    const table = new Map<string, WindowAggregate>();
    let clock = 0;
    for (let i = 0; i < 4000; i++) {
      clock += Math.floor(random() * 40_000);
      const tag = random() < 0.5 ? force : speed;
      const lag = random() < 0.2 ? Math.floor(random() * 4 * S) : 0;
      const sample = { tag, ts: at(Math.max(0, clock - lag)), value: Math.floor(random() * 1000) - 500 };
      // Reference model: applied at a resolution iff its window ends after the tag's watermark.
      const newest = Math.max(maxTs.get(tag) ?? -Infinity, sample.ts);
      maxTs.set(tag, newest);
      const expected = resolutions.map(
        (r) => windowStart(sample.ts, r) + RESOLUTION_US[r] > newest - 1500 * 1000,
      );
      const outcome = windows.add(sample.tag, sample.ts, sample.value);
      expect(outcome === 'too-late').toBe(expected.includes(false));
      resolutions.forEach((resolution, r) => {
        if (!expected[r]) return;
        const k = key({ tag, resolution, start: windowStart(sample.ts, resolution) });
        expect(final.has(k)).toBe(false);
        applied.set(k, [...(applied.get(k) ?? []), sample]);
      });
      if (random() < 0.05) {
        const updates = windows.takeUpdates();
        for (const update of updates) {
          expect(final.has(key(update))).toBe(false);
          if (update.closed) final.add(key(update));
        }
        upsert(table, updates);
      }
    }
    upsert(table, windows.takeUpdates());
    expect(table.size).toBe(applied.size);
    for (const [k, samples] of applied) {
      const [resolution] = k.split(' ').slice(1) as [Resolution];
      expect(table.get(k)).toEqual(bruteForce(samples, [resolution]).get(k));
    }
    const stats = windows.stats();
    expect(stats.accepted + stats.late + stats.tooLate).toBe(4000);
    expect(stats.tooLate).toBeGreaterThan(0);
  });
});

describe('TumblingWindows property: shuffled input equals a sorted brute force', () => {
  it('for several tags, all resolutions, with lateness large enough that nothing is too late', () => {
    const random = seededRandom(20250113);
    const tags = [
      force,
      speed,
      tagPath('plant1/coldmill/pltcm/stand4/roll_force'),
      tagPath('plant1/coldmill/pltcm/tension'),
    ];
    const samples: TestSample[] = [];
    for (let i = 0; i < 5000; i++) {
      samples.push({
        tag: tags[Math.floor(random() * tags.length)]!,
        // About 2.5 h, coarse enough that instants repeat and exercise the tie rules.
        ts: at(Math.floor(random() * 9000) * S + Math.floor(random() * 4) * 250_000),
        value: Math.floor(random() * 20_001) - 10_000, // integers: sums are exact
      });
    }
    // Fisher-Yates with the seeded PRNG.
    for (let i = samples.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [samples[i], samples[j]] = [samples[j]!, samples[i]!];
    }
    const windows = store({ allowedLatenessUs: 4 * H, idleTimeoutUs: 0 });
    const table = new Map<string, WindowAggregate>();
    for (const sample of samples) {
      expect(windows.add(sample.tag, sample.ts, sample.value)).not.toBe('too-late');
      if (random() < 0.01) upsert(table, windows.takeUpdates());
    }
    upsert(table, windows.takeUpdates());
    const expected = bruteForce(samples, RESOLUTIONS);
    expect(table.size).toBe(expected.size);
    for (const [k, aggregate] of expected) expect(table.get(k)).toEqual(aggregate);

    // Finalising everything re-emits every window once, unchanged, as closed, and empties the store.
    windows.closeIdle(at(10 * H));
    const final = windows.takeUpdates();
    expect(final).toHaveLength(expected.size);
    expect(final.every((u) => u.closed)).toBe(true);
    upsert(table, final);
    for (const [k, aggregate] of expected) expect(table.get(k)).toEqual(aggregate);
    expect(windows.stats()).toMatchObject({ openWindows: 0, tags: 0, tooLate: 0 });
  });

  it('keeps fractional sums within rounding of the brute force', () => {
    const random = seededRandom(3);
    const samples: TestSample[] = [];
    for (let i = 0; i < 2000; i++) {
      samples.push({ tag: force, ts: at(Math.floor(random() * 120 * S)), value: random() * 1e3 - 500 });
    }
    const windows = store({ allowedLatenessUs: H });
    for (const sample of samples) windows.add(sample.tag, sample.ts, sample.value);
    const table = new Map<string, WindowAggregate>();
    upsert(table, windows.takeUpdates());
    for (const [k, aggregate] of bruteForce(samples, RESOLUTIONS)) {
      const actual = table.get(k)!;
      expect(actual.sum).toBeCloseTo(aggregate.sum, 6);
      expect({ ...actual, sum: 0 }).toEqual({ ...aggregate, sum: 0 });
    }
  });
});

describe('TumblingWindows.restore', () => {
  const stored = (resolution: Resolution, start: number, samples: readonly (readonly [number, number])[]) =>
    bruteForce(
      samples.map(([ts, value]) => ({ tag: force, ts: epochUs(ts), value })),
      [resolution],
    ).get(key({ tag: force, resolution, start }))!;

  it('continues a window half-built before a restart instead of overwriting it', () => {
    const before: [number, number][] = [
      [T0 + 10 * S, 5],
      [T0 + 20 * S, -3],
    ];
    const after: [number, number][] = [
      [T0 + 30 * S, 9],
      [T0 + 25 * S, 1],
    ];
    const windows = store({ resolutions: ['1m'] });
    expect(windows.restore(stored('1m', T0, before))).toBe('restored');
    expect(windows.takeUpdates()).toEqual([]); // the stored row is already right
    expect(windows.maxEventTs(force)).toBe(T0 + 20 * S);
    for (const [ts, value] of after) windows.add(force, epochUs(ts), value);
    const [update] = windows.takeUpdates();
    expect(withoutClosed(update!)).toEqual(stored('1m', T0, [...before, ...after]));
  });

  it('merges into a window that samples opened before the restore', () => {
    const windows = store({ resolutions: ['1m'] });
    windows.add(force, at(30 * S), 9);
    windows.takeUpdates();
    expect(windows.restore(stored('1m', T0, [[T0 + 10 * S, 5]]))).toBe('merged');
    const [update] = windows.takeUpdates();
    expect(update).toMatchObject({
      count: 2,
      sum: 14,
      first: 5,
      last: 9,
      firstTs: T0 + 10 * S,
      closed: false,
    });
  });

  it('ignores a stored window the tag’s watermark has passed, and resumes the watermark from lastTs', () => {
    const windows = store({ resolutions: ['1s', '1m'] });
    expect(windows.restore(stored('1m', T0, [[T0 + 30 * S, 1]]))).toBe('restored');
    expect(windows.watermark(force)).toBe(T0 + 28 * S);
    // A 1 s window the restored 1 min row shows had closed before the restart: its row is final.
    expect(windows.restore(stored('1s', T0 + 5 * S, [[T0 + 5 * S, 1]]))).toBe('closed');
    // A replayed sample for it is too late at 1 s instead of overwriting the final row with a partial one.
    expect(windows.add(force, at(5 * S + 1), 2)).toBe('too-late');
    expect(find(windows.takeUpdates(), force, '1s', T0 + 5 * S)).toBeUndefined();
  });

  it('refuses an unconfigured resolution or a start off a window boundary', () => {
    const windows = store({ resolutions: ['1s'] });
    expect(() => windows.restore(stored('1m', T0, [[T0, 1]]))).toThrow(RangeError);
    expect(() => windows.restore({ ...stored('1s', T0, [[T0, 1]]), start: at(1) })).toThrow(RangeError);
  });
});

describe('TumblingWindows.closeIdle', () => {
  it('closes a silent tag’s windows as its clock passes them, without cutting them short', () => {
    const windows = store({ idleTimeoutUs: 30 * S });
    windows.add(force, at(2 * M + 500), 7); // the sensor's last sample, at 23:02
    windows.add(speed, at(2 * M + 500), 1);
    windows.takeUpdates();

    expect(windows.closeIdle(at(2 * M + 29 * S))).toBe(0); // not silent long enough
    expect(windows.takeUpdates()).toEqual([]);

    windows.add(speed, at(2 * M + 40 * S), 1); // speed keeps sending
    expect(windows.closeIdle(at(2 * M + 40 * S))).toBe(1);
    const updates = windows.takeUpdates();
    expect(find(updates, force, '1s', T0 + 2 * M)).toMatchObject({ closed: true, count: 1 });
    expect(find(updates, force, '1m', T0 + 2 * M)).toBeUndefined(); // ends at 23:03, not reached
    expect(find(updates, speed, '1s', T0 + 2 * M)).toMatchObject({ closed: true }); // by its own clock

    windows.closeIdle(at(3 * M + 2 * S));
    expect(find(windows.takeUpdates(), force, '1m', T0 + 2 * M)).toMatchObject({ closed: true, count: 1 });
    expect(windows.stats().byResolution['1h'].openWindows).toBe(2);

    windows.closeIdle(at(H + 2 * S));
    const hour = windows.takeUpdates();
    expect(find(hour, force, '1h', T0)).toMatchObject({ closed: true, count: 1, sum: 7 });
    expect(find(hour, speed, '1h', T0)).toMatchObject({ closed: true, count: 2 });
    expect(windows.stats()).toMatchObject({ openWindows: 0, tags: 0 });
  });

  it('keeps a dropped tag from reopening a final window when it comes back', () => {
    const windows = store({ resolutions: ['1s'], idleTimeoutUs: 5 * S });
    windows.add(force, at(0), 1);
    windows.closeIdle(at(10 * S));
    expect(windows.takeUpdates()).toEqual([expect.objectContaining({ closed: true })]);
    expect(windows.stats().tags).toBe(0);
    expect(windows.add(force, at(500), 2)).toBe('too-late');
    expect(windows.add(force, at(9 * S), 3)).toBe('accepted'); // past the watermark it was dropped at
  });

  it('does nothing when idle closing is disabled', () => {
    const windows = store({ idleTimeoutUs: Infinity });
    windows.add(force, at(0), 1);
    windows.takeUpdates();
    expect(windows.closeIdle(at(100 * H))).toBe(0);
    expect(windows.takeUpdates()).toEqual([]);
    expect(windows.stats().openWindows).toBe(3);
  });
});

describe('TumblingWindows memory', () => {
  it('holds at most the windows the lateness keeps open per tag and resolution', () => {
    const windows = store({ resolutions: ['1s'], allowedLatenessUs: 2 * S });
    for (let i = 0; i < 10_000; i++) windows.add(force, at(i * 10_000), i);
    windows.takeUpdates();
    // The newest window plus those within the 2 s lateness: [97s,98s), [98s,99s), [99s,100s).
    expect(windows.stats()).toMatchObject({ openWindows: 3, pendingUpdates: 0 });
  });
});
