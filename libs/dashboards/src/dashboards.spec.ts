import { epochMs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import {
  appendLive,
  frameFromM4,
  frameToCsv,
  legendStats,
  stateSegments,
  toCsv,
  trimBefore,
} from './frame.js';
import { pan, zoomOut } from './quick-ranges.js';
import { dashboardSchema, panelTags } from './schema.js';
import { DEFAULT_SHIFT_CALENDAR, recentShifts, shiftPresets } from './shifts.js';
import { decodeViewState, encodeViewState, type ViewState } from './url-state.js';

const panel = {
  id: 'p1',
  title: 'Forces',
  type: 'timeseries',
  grid: { x: 0, y: 0, w: 12, h: 8 },
  query: { source: 'series', tags: ['plant1/coldmill/pltcm/stand1/roll_force', '$setup'] },
} as const;

describe('dashboard schema', () => {
  it('applies defaults and expands variables', () => {
    const dashboard = dashboardSchema.parse({
      schemaVersion: 1,
      id: 'mine',
      title: 'Mine',
      variables: [
        {
          type: 'tags',
          name: 'setup',
          label: 'Setup',
          options: [{ tag: 'plant1/coldmill/pltcm/thermal_crown/g1', label: 'G1' }],
          default: [],
        },
      ],
      panels: [panel],
    });
    expect(dashboard.time).toEqual({ from: 'now-6h', to: 'now' });
    expect(dashboard.panels[0]!.options.band).toBe(true);
    expect(panelTags(dashboard.panels[0]!, { setup: ['plant1/coldmill/pltcm/thermal_crown/g1'] })).toEqual([
      'plant1/coldmill/pltcm/stand1/roll_force',
      'plant1/coldmill/pltcm/thermal_crown/g1',
    ]);
  });

  it('refuses duplicate panel ids, unknown variables and panels past the grid', () => {
    const result = dashboardSchema.safeParse({
      schemaVersion: 1,
      id: 'bad',
      title: 'Bad',
      panels: [panel, { ...panel, grid: { x: 20, y: 0, w: 8, h: 4 } }],
    });
    expect(result.success).toBe(false);
    const messages = result.error!.issues.map((issue) => issue.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'duplicate panel id p1',
        'unknown variable $setup',
        'x + w must be at most 24',
      ]),
    );
  });
});

describe('URL state', () => {
  it('round-trips a dashboard view and leaves defaults out', () => {
    const view: ViewState = {
      page: { kind: 'dashboard', id: 'pltcm' },
      from: 'now-1h',
      to: 'now',
      zone: 'utc',
      refresh: '10s',
      live: true,
      tab: 'Setup data',
      selections: { coil: ['1736809000B100'], setup: ['a/b/c/d', 'a/b/c/e'] },
    };
    const url = encodeViewState(view);
    expect(url).toBe(
      '/d/pltcm?from=now-1h&to=now&tz=utc&refresh=10s&live=1&tab=Setup+data&var-coil=1736809000B100&var-setup=a%2Fb%2Fc%2Fd&var-setup=a%2Fb%2Fc%2Fe',
    );
    const [path, search] = url.split('?');
    expect(decodeViewState(path!, search!)).toEqual(view);
    expect(encodeViewState({ page: { kind: 'list' }, zone: 'plant', live: false, selections: {} })).toBe('/');
  });

  it('falls back to defaults on junk', () => {
    expect(decodeViewState('/d/x', '?tz=mars&refresh=2s&live=yes')).toEqual({
      page: { kind: 'dashboard', id: 'x' },
      zone: 'plant',
      live: false,
      selections: {},
    });
  });
});

describe('shift calendar', () => {
  const zone = 'Europe/Berlin';
  it('finds the running night shift across midnight', () => {
    const now = epochMs(Date.parse('2026-03-10T01:30:00Z')); // 02:30 in Berlin (CET)
    const [current, previous] = recentShifts(DEFAULT_SHIFT_CALENDAR, now, zone, 1);
    expect(current).toEqual({
      name: 'Night',
      from: Date.parse('2026-03-09T21:00:00Z'),
      to: Date.parse('2026-03-10T05:00:00Z'),
    });
    expect(previous!.name).toBe('Late');
  });

  it('a night shift over the spring DST change is 7 hours long', () => {
    const now = epochMs(Date.parse('2026-03-29T03:00:00Z')); // 05:00 CEST
    const [current] = recentShifts(DEFAULT_SHIFT_CALENDAR, now, zone, 0);
    expect(current!.to - current!.from).toBe(7 * 3_600_000);
  });

  it('offers current, previous and last three shifts', () => {
    const now = epochMs(Date.parse('2026-07-01T10:00:00Z')); // 12:00 CEST, early shift
    const presets = shiftPresets(DEFAULT_SHIFT_CALENDAR, now, zone);
    expect(presets.map((preset) => preset.label)).toEqual([
      'Current shift (Early)',
      'Previous shift (Night)',
      'Last 3 shifts',
    ]);
    expect(presets[2]!.from).toBe(Date.parse('2026-06-30T04:00:00Z'));
    expect(presets[2]!.to).toBe(Date.parse('2026-07-01T04:00:00Z'));
  });
});

describe('time navigation', () => {
  it('zooms out around the centre, not past now', () => {
    expect(zoomOut(1_000, 2_000, 10_000)).toEqual({ from: 500, to: 2_500 });
    expect(zoomOut(8_000, 9_000, 9_500)).toEqual({ from: 7_500, to: 9_500 });
    expect(pan(1_000, 2_000, 0.5, 10_000)).toEqual({ from: 1_500, to: 2_500 });
    expect(pan(1_000, 2_000, 0.5, 2_200)).toEqual({ from: 1_200, to: 2_200 });
  });
});

describe('frames', () => {
  const answers = [
    {
      tag: 'a',
      times: [10, 20, 30],
      min: [1, 2, null],
      max: [3, 4, null],
      last: [2, 3, null],
      count: [2, 2, 0],
    },
    { tag: 'b', times: [20, 40], min: [5, 6], max: [5, 6], last: [5, 6], count: [1, 1] },
  ];

  it('joins tags on one x axis, undefined where a tag has no point and null for a break', () => {
    const frame = frameFromM4(['a', 'b'], answers);
    expect(frame.times).toEqual([10, 20, 30, 40]);
    expect(frame.lines).toEqual([
      [2, 3, null, undefined],
      [undefined, 5, undefined, 6],
    ]);
  });

  it('appends live samples after history without repeating or reordering', () => {
    const frame = frameFromM4(['a', 'b'], answers);
    expect(appendLive(frame, 'b', [39_000, 41_000, 42_500], [9, 7, 8], 1)).toBe(2);
    expect(appendLive(frame, 'a', [41_200], [1], 1)).toBe(1); // same 1 s slot as b's 41 s row
    expect(frame.times).toEqual([10, 20, 30, 40, 41, 42.5]);
    expect(frame.lines[0]).toEqual([2, 3, null, undefined, 1, undefined]);
    expect(frame.lines[1]).toEqual([undefined, 5, undefined, 6, 7, 8]);
    trimBefore(frame, 35);
    expect(frame.times).toEqual([30, 40, 41, 42.5]);
  });

  it('computes legend figures over the visible range', () => {
    const frame = frameFromM4(['a', 'b'], answers);
    expect(legendStats(frame, 0, 0, 100)).toEqual({ last: 3, min: 1, max: 4, avg: 2.5 });
    expect(legendStats(frame, 1, 30, 100)).toEqual({ last: 6, min: 6, max: 6, avg: 6 });
    expect(legendStats(frame, 1, 50, 100)).toEqual({ last: null, min: null, max: null, avg: null });
  });

  it('makes state segments and CSV', () => {
    expect(stateSegments([1, 2, 3, 5], ['run', 'run', 'stop', 'run'], 9)).toEqual([
      { state: 'run', from: 1, to: 3 },
      { state: 'stop', from: 3, to: 5 },
      { state: 'run', from: 5, to: 9 },
    ]);
    expect(stateSegments([0, 1_000, 200_000], ['run', 'run', 'run'], 201_000)).toEqual([
      { state: 'run', from: 0, to: 2_000 },
      { state: 'run', from: 200_000, to: 201_000 },
    ]);
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['x,y', 'say "hi"'],
          [1, null],
        ],
      ),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n1,\r\n');
    expect(frameToCsv(frameFromM4(['b'], [answers[1]!]))).toBe(
      'time,b\r\n1970-01-01T00:00:20.000Z,5\r\n1970-01-01T00:00:40.000Z,6\r\n',
    );
  });
});

describe('built-in dashboards', () => {
  it('every file in builtin/ parses and its id is its file name', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const dir = new URL('../builtin/', import.meta.url);
    const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    expect(names.length).toBeGreaterThanOrEqual(4);
    for (const name of names) {
      const parsed = dashboardSchema.safeParse(JSON.parse(await readFile(new URL(name, dir), 'utf8')));
      expect(parsed.success, `${name}: ${parsed.error?.message}`).toBe(true);
      expect(`${parsed.data!.id}.json`).toBe(name);
    }
  });
});
