import { tagPath, type Inspection } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { CellLine } from '@millrace/plant-sim';
import { labelCells } from './dataset.js';
import {
  DEFAULT_FEATURE_CONFIG,
  extractFeatures,
  FEATURE_NAMES,
  featureTags,
  type CellInspections,
} from './features.js';
import { SeriesStore } from './series.js';
import { WindowCache, windowTagFilter } from './window-cache.js';

const S = 1_000_000; // µs per second
const T = 1_767_000_000 * S;
const config = DEFAULT_FEATURE_CONFIG;
const TAGS = featureTags(config, 'line1');

const inspection = (stage: Inspection['stage'], ts: number): Inspection => ({
  cellId: '98765-00001',
  orderId: '98765',
  line: 'line1',
  stage,
  ts: epochUs(ts),
  measurements: {},
  verdict: 'pass',
});
/** Assembled at T (assembly window [T-3s, T]), FQC at T+20s. */
const cell: CellInspections = {
  cellId: '98765-00001',
  orderId: '98765',
  line: 'line1',
  ipqc: inspection('IPQC', T),
  fqc: inspection('FQC', T + 20 * S),
};

/** One sample a second of every feature tag of line1 over `[fromS, toS]` seconds from T. */
function feed(cache: WindowCache, fromS: number, toS: number): void {
  const ts = Array.from({ length: toS - fromS + 1 }, (_, i) => T + (fromS + i) * S);
  for (const tag of TAGS)
    cache.add(
      tag,
      ts,
      ts.map((_, i) => fromS + i),
    );
}

describe('WindowCache coverage', () => {
  it("is a 'miss' for tags it never saw and for windows that start before its first sample", () => {
    const cache = new WindowCache(600 * S);
    expect(cache.coverage(config, cell)).toBe('miss');
    feed(cache, -2, 25); // the assembly window starts at -3 s
    expect(cache.coverage(config, cell)).toBe('miss');
  });

  it("is 'pending' until every tag has reached the window's end, then 'ready'", () => {
    const cache = new WindowCache(600 * S);
    feed(cache, -10, 19);
    expect(cache.coverage(config, cell)).toBe('pending');
    feed(cache, 20, 20);
    expect(cache.coverage(config, cell)).toBe('ready');
  });

  it('evicts by data time behind the newest sample and stops covering what it dropped', () => {
    const cache = new WindowCache(60 * S);
    feed(cache, -10, 25);
    expect(cache.coverage(config, cell)).toBe('ready');
    feed(cache, 26, 100); // keeps [40 s, 100 s]
    expect(cache.heldFrom(TAGS[0]!)).toBe(T + 40 * S);
    expect(cache.coverage(config, cell)).toBe('miss');
    const out = new Float64Array(4);
    cache.windowInto(TAGS[0]!, T, T + 39 * S, out, 0);
    expect(out[0]).toBe(0);
  });

  it('keeps the last sample of a tag whatever its age: a setpoint that rarely changes', () => {
    const cache = new WindowCache(60 * S);
    const setpoint = 'plant1/cells/line1/CAS_01/speed_setpoint';
    cache.add(setpoint, [T], [1150]);
    cache.add(setpoint, [T + 3_600 * S], [1200]);
    expect(cache.valueAt(setpoint, T + 7_200 * S)).toBe(1200);
    expect(cache.valueAt(setpoint, T + 10 * S)).toBeUndefined(); // evicted
  });

  it('forgets everything on reset (a gap in the feed)', () => {
    const cache = new WindowCache(600 * S);
    feed(cache, -10, 25);
    cache.reset();
    expect(cache.coverage(config, cell)).toBe('miss');
    expect(cache.size).toBe(0);
  });
});

describe('WindowCache samples', () => {
  it('places a late sample in order and replaces a re-delivered one', () => {
    const cache = new WindowCache(600 * S);
    const tag = TAGS[0]!;
    cache.add(tag, [T, T + 2 * S], [1, 3]);
    cache.add(tag, [T + S], [2]);
    cache.add(tag, [T + 2 * S], [30]);
    const out = new Float64Array(4);
    cache.windowInto(tag, T, T + 10 * S, out, 0);
    expect([out[0], out[2], out[3]]).toEqual([3, 30, 30]);
    expect(cache.valueAt(tag, T + S)).toBe(2);
  });

  it('holds numbers, booleans as 0/1 (as the samples table stores them), and skips text', () => {
    const cache = new WindowCache(600 * S);
    const batch = { source: 'test', ingestTs: epochUs(T), ts: [epochUs(T), epochUs(T + S)] };
    cache.addBatch({ ...batch, tag: tagPath('plant1/cells/line1/CAS_01/running'), values: [true, false] });
    cache.addBatch({ ...batch, tag: tagPath('plant1/cells/line1/CAS_01/state'), values: ['run', 'stop'] });
    cache.addBatch({ ...batch, tag: tagPath('plant1/cells/line1/CAS_01/speed'), values: [1, Number.NaN] });
    expect(cache.valueAt('plant1/cells/line1/CAS_01/running', T)).toBe(1);
    expect(cache.valueAt('plant1/cells/line1/CAS_01/running', T + S)).toBe(0);
    expect(cache.heldFrom('plant1/cells/line1/CAS_01/state')).toBeUndefined();
    expect(cache.newest('plant1/cells/line1/CAS_01/speed')).toBe(T);
  });

  it('wakes a waiter at the next add, and after its time-out without one', async () => {
    const cache = new WindowCache(600 * S);
    const woken = cache.nextChange(60_000);
    feed(cache, 0, 1);
    await woken;
    await cache.nextChange(1);
  });

  it('gives the features a SeriesStore of the same samples gives, batch by batch as the feed brings them', () => {
    const startMs = Date.UTC(2026, 0, 5);
    const output = new CellLine({ seed: 5, line: 'line1' }, startMs).advanceTo(startMs + 30 * 60_000);
    const { cells } = labelCells(output.inspections);
    expect(cells.length).toBeGreaterThan(100);
    const store = new SeriesStore();
    // Ten-second batches per tag, in time order, as ingest publishes them.
    const batches = new Map<string, { tag: string; ts: number[]; values: number[] }>();
    const ordered: { tag: string; ts: number[]; values: number[] }[] = [];
    for (const { tag, value, tsMs } of output.signals) {
      if (typeof value !== 'number') continue;
      store.add(tag, [tsMs * 1000], [value]);
      let batch = batches.get(tag);
      if (!batch || batch.ts.length === 10) {
        batch = { tag, ts: [], values: [] };
        batches.set(tag, batch);
        ordered.push(batch);
      }
      batch.ts.push(tsMs * 1000);
      batch.values.push(value);
    }
    const cache = new WindowCache(120 * S);
    const fromCache = new Float64Array(FEATURE_NAMES.length);
    const fromStore = new Float64Array(FEATURE_NAMES.length);
    let next = 0;
    let compared = 0;
    for (const scored of [...cells].sort((a, b) => a.fqc.ts - b.fqc.ts)) {
      // Fed up to a little past this cell's FQC, so every tag has passed it, as the service waits for.
      while (next < ordered.length && ordered[next]!.ts[0]! <= scored.fqc.ts + 10 * S) {
        const batch = ordered[next++]!;
        cache.add(batch.tag, batch.ts, batch.values);
      }
      if (cache.coverage(config, scored) === 'miss') continue; // assembled before the feed's start
      expect(extractFeatures(config, scored, cache, fromCache)).toEqual(
        extractFeatures(config, scored, store, fromStore),
      );
      compared += 1;
    }
    expect(compared).toBeGreaterThan(cells.length - 3);
  });
});

describe('windowTagFilter', () => {
  it("takes the features' machine signals of any line and the extra signals, nothing else", () => {
    const wanted = windowTagFilter(config, [{ machine: 'CAS_01', signal: 'speed_setpoint' }]);
    expect(wanted('plant1/cells/line7/CAS_01/speed')).toBe(true);
    expect(wanted('plant1/cells/line7/FORM_01/current')).toBe(true);
    expect(wanted('plant1/cells/line7/CAS_01/speed_setpoint')).toBe(true);
    expect(wanted('plant1/cells/line7/EOL_01/voltage')).toBe(false);
    expect(wanted('plant1/cells/CAS_01/speed')).toBe(false);
    expect(wanted('plant1/cells/a/b/CAS_01/speed')).toBe(false);
    expect(wanted('plant2/cells/line7/CAS_01/speed')).toBe(false);
    expect(wanted('plant1/pltcm/line7/CAS_01/speed')).toBe(false);
  });
});
