import { describe, expect, it } from 'vitest';
import { m4, m4FromBuckets, M4Workspace, m4OnGrid, m4Points, type BucketRows } from './m4.js';
import { columnOf, pixelGrid, planM4, type PixelGrid } from './plan.js';
import { seededRandom } from '@millrace/plant-sim';

/**
 * What a line chart draws in each pixel column: the vertical span of the polyline through the points
 * over the column's x range, including segments that only pass through (interpolated at the borders).
 */
function drawnSpans(
  times: readonly number[],
  values: readonly number[],
  grid: PixelGrid,
  fromUs: number,
  toUs: number,
) {
  const low = new Array<number>(grid.columns).fill(Infinity);
  const high = new Array<number>(grid.columns).fill(-Infinity);
  const mark = (column: number, value: number) => {
    if (column < 0 || column >= grid.columns) return;
    if (value < low[column]!) low[column] = value;
    if (value > high[column]!) high[column] = value;
  };
  const inRange: number[] = [];
  times.forEach((time, i) => {
    if (time >= fromUs && time < toUs) inRange.push(i);
  });
  for (let k = 0; k < inRange.length; k += 1) {
    const i = inRange[k]!;
    mark(columnOf(times[i]!, grid), values[i]!);
    const next = inRange[k + 1];
    if (next === undefined) continue;
    const [t0, v0, t1, v1] = [times[i]!, values[i]!, times[next]!, values[next]!];
    // Every column border the segment crosses: the line's value there belongs to both columns.
    for (let column = columnOf(t0, grid) + 1; column <= columnOf(t1, grid); column += 1) {
      const x = grid.originUs + column * grid.pixelUs;
      const y = v0 + ((v1 - v0) * (x - t0)) / (t1 - t0);
      mark(column - 1, y);
      mark(column, y);
    }
  }
  return { low, high };
}

function randomSeries(random: () => number, count: number, startUs: number, spanUs: number) {
  const times = Array.from({ length: count }, () => startUs + Math.floor(random() * spanUs)).sort(
    (a, b) => a - b,
  );
  let level = 0;
  const values = times.map(() => {
    level += random() - 0.5;
    // Rare one-sample spikes both ways: the case an average per column would erase.
    const roll = random();
    return roll < 0.002 ? level + 1_000 * random() : roll > 0.998 ? level - 1_000 * random() : level;
  });
  return { times, values };
}

describe('m4 fidelity', () => {
  const seeds = [1, 2, 3, 42, 20_260_329, Math.floor(Math.random() * 2 ** 31)];
  for (const seed of seeds) {
    it(`per pixel column, the drawn min and max of the M4 answer equal those of raw (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const fromUs = 1_774_000_000_000_000;
      const toUs = fromUs + 3_600_000_000 + Math.floor(random() * 86_400_000_000);
      const width = 50 + Math.floor(random() * 2_000);
      const raw = randomSeries(
        random,
        20_000 + Math.floor(random() * 50_000),
        fromUs - 60_000_000,
        toUs - fromUs + 120_000_000,
      );

      const columns = m4(raw.times, raw.values, fromUs, toUs, width);
      const grid = pixelGrid(fromUs, toUs, width);
      const points = m4Points(columns);
      expect(points.times.length).toBeLessThanOrEqual(4 * width);

      const fromRaw = drawnSpans(raw.times, raw.values, grid, fromUs, toUs);
      const fromM4 = drawnSpans(points.times, points.values, grid, fromUs, toUs);
      expect(fromM4.low).toEqual(fromRaw.low);
      expect(fromM4.high).toEqual(fromRaw.high);
    });
  }

  it('keeps a single-sample spike that an average per column would erase', () => {
    const times = Array.from({ length: 1_000 }, (_, i) => i * 1_000);
    const values = times.map((_, i) => (i === 537 ? 1e6 : 1));
    const columns = m4(times, values, 0, 1_000_000, 10);
    expect(Math.max(...columns.max)).toBe(1e6);
    expect(columns.sum[5]! / columns.count[5]!).toBeLessThan(1e6 / 50); // the average hides it
  });

  it('skips samples outside the range and NaN values; aggregates per column', () => {
    const columns = m4OnGrid(
      [-5, 0, 1, 2, 10, 11, 25, 30],
      [9, 1, 3, NaN, 4, 2, 7, 9],
      0,
      30,
      pixelGrid(0, 30, 3),
    );
    expect([...columns.column]).toEqual([0, 1, 2]);
    expect([...columns.min]).toEqual([1, 2, 7]);
    expect([...columns.max]).toEqual([3, 4, 7]);
    expect([...columns.first]).toEqual([1, 4, 7]);
    expect([...columns.last]).toEqual([3, 2, 7]);
    expect([...columns.count]).toEqual([2, 2, 1]);
    expect([...columns.firstTimes]).toEqual([0, 10, 25]);
  });
});

/** A rollup tier built from raw as QuestDB's SAMPLE BY builds it: one row per non-empty bucket. */
function rollup(times: readonly number[], values: readonly number[], bucketUs: number, series: number) {
  const rows = { series: [] as number[], start: [] as number[], min: [] as number[], max: [] as number[] };
  const more = { first: [] as number[], last: [] as number[], sum: [] as number[], count: [] as number[] };
  times.forEach((time, i) => {
    const start = Math.floor(time / bucketUs) * bucketUs;
    const value = values[i]!;
    const k = rows.start.length - 1;
    if (rows.start[k] === start) {
      rows.min[k] = Math.min(rows.min[k]!, value);
      rows.max[k] = Math.max(rows.max[k]!, value);
      more.last[k] = value;
      more.sum[k]! += value;
      more.count[k]! += 1;
      return;
    }
    rows.series.push(series);
    rows.start.push(start);
    rows.min.push(value);
    rows.max.push(value);
    more.first.push(value);
    more.last.push(value);
    more.sum.push(value);
    more.count.push(1);
  });
  return { ...rows, ...more };
}

describe('m4FromBuckets', () => {
  const seeds = [7, 11, 20_261_122, Math.floor(Math.random() * 2 ** 31)];
  for (const seed of seeds) {
    it(`merging rollup buckets into pixel columns gives M4 over raw, interleaved tags in any order (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const bucketUs = 60_000_000;
      const fromUs = 1_774_000_000_000_000 + Math.floor(random() * 1_000) * 1_000_000;
      const toUs = fromUs + 86_400_000_000 * (1 + Math.floor(random() * 5));
      const width = 100 + Math.floor(random() * 1_500);
      const plan = planM4(fromUs, toUs, width, [{ name: '1m', resolutionUs: bucketUs }]);
      expect(plan.pixelUs % bucketUs).toBe(0);
      const endUs = plan.originUs + plan.columns * plan.pixelUs;
      const tags = [0, 1, 2].map(() =>
        randomSeries(random, 20_000 + Math.floor(random() * 30_000), plan.originUs, endUs - plan.originUs),
      );
      const buckets = tags.map((raw, tag) => rollup(raw.times, raw.values, bucketUs, tag));
      // QuestDB returns the tier in time order with tags interleaved; shuffled rows must merge the same.
      const all = buckets.flatMap((b) => b.start.map((_, i) => i).map((i) => ({ b, i })));
      const inTimeOrder = [...all].sort((x, y) => x.b.start[x.i]! - y.b.start[y.i]!);
      const shuffled = [...all].sort(() => random() - 0.5);
      for (const order of [inTimeOrder, shuffled]) {
        const pick = (key: keyof ReturnType<typeof rollup>) => order.map(({ b, i }) => b[key][i]!);
        const rows: BucketRows = {
          length: order.length,
          series: pick('series'),
          start: pick('start'),
          min: pick('min'),
          max: pick('max'),
          first: pick('first'),
          last: pick('last'),
          sum: pick('sum'),
          count: pick('count'),
        };
        const merged = m4FromBuckets(rows, tags.length, plan);
        tags.forEach((raw, tag) => {
          const exact = m4OnGrid(raw.times, raw.values, plan.originUs, endUs, plan);
          const got = merged[tag]!;
          expect(got.column).toEqual(exact.column);
          expect(got.times).toEqual(exact.times);
          expect(got.min).toEqual(exact.min);
          expect(got.max).toEqual(exact.max);
          expect(got.first).toEqual(exact.first);
          expect(got.last).toEqual(exact.last);
          expect(got.count).toEqual(exact.count);
          got.sum.forEach((sum, i) => expect(sum).toBeCloseTo(exact.sum[i]!, 6));
        });
      }
    });
  }

  it('gives the same columns in a reused workspace, overwriting the previous call', () => {
    const grid = pixelGrid(0, 100, 10);
    const rows = (value: number): BucketRows => {
      const column = [value, value + 1, value + 2];
      return {
        length: 3,
        series: [0, 0, 1],
        start: [5, 15, 5],
        min: column,
        max: column,
        first: column,
        last: column,
        sum: column,
        count: [1, 1, 1],
      };
    };
    const workspace = new M4Workspace();
    const first = m4FromBuckets(rows(1), 2, grid, workspace);
    expect([...first[0]!.min, ...first[1]!.min]).toEqual([1, 2, 3]);
    const second = m4FromBuckets(rows(10), 2, grid, workspace);
    expect(second).toEqual(m4FromBuckets(rows(10), 2, grid));
    expect([...first[0]!.min]).toEqual([10, 11]);
  });

  it('skips rows of unknown series', () => {
    const grid = pixelGrid(0, 100, 10);
    const one = [1];
    const merged = m4FromBuckets(
      {
        length: 1,
        series: [-1],
        start: [5],
        min: one,
        max: one,
        first: one,
        last: one,
        sum: one,
        count: one,
      },
      1,
      grid,
    );
    expect(merged[0]!.column).toHaveLength(0);
  });
});
