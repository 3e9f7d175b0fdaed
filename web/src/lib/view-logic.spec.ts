import { frameFromM4 } from '@millrace/dashboards';
import { describe, expect, it } from 'vitest';
import type { HealthAnswer } from './api.js';
import { dropTrailingEdges, PanelCache } from './data.js';
import {
  eventRow,
  formatDuration,
  formatTime,
  healthFigures,
  healthRows,
  parseExportCsv,
  sortRows,
} from './view-logic.js';

const health: HealthAnswer = {
  generatedAt: '2026-01-01T10:00:00.000Z',
  tags: [
    { tag: 'p/a/b/ok', source: 'opcua', lastSeen: '2026-01-01T09:59:59.000Z', ingestLagMs: 20 },
    { tag: 'p/a/b/dead', source: 'mqtt', lastSeen: '2026-01-01T09:00:00.000Z', ingestLagMs: 15 },
    { tag: 'p/a/b/never', source: null, lastSeen: null, ingestLagMs: null },
    { tag: 'p/a/b/old', source: 'test', lastSeen: '2025-01-01T09:00:00.000Z', ingestLagMs: null },
  ],
  pipeline: {
    processorReachable: true,
    samples: { on_time: 100, late: 3, too_late: 1 },
    deadLettersByTopic: null,
    consumerLagByTopic: { 'plant.samples.v1': 5, 'plant.records.v1': 2 },
    questdbWriteSecondsAvg: 0.01,
    sourceLagSeconds: 1.2,
    deadLetterTopics: [{ topic: 'plant.samples.v1.dlq', messages: 4 }],
    openGaps: [{ endpoint: 'opc.tcp://x', source: 'opcua', since: '2026-01-01T09:58:00Z' }],
    problems: [],
  },
};

describe('view logic', () => {
  it('turns risk and command events back into table columns', () => {
    expect(
      eventRow({
        kind: 'risk',
        ts: 't',
        title: 'high risk: cell 98765-00001',
        text: 'p=0.912: retest',
        tags: ['98765', 'gbt-3'],
        severity: 'high',
      }),
    ).toMatchObject({
      cell: '98765-00001',
      riskClass: 'high',
      probability: 0.912,
      recommendation: 'retest',
      order: '98765',
      modelVersion: 'gbt-3',
    });
    expect(
      eventRow({ kind: 'command', ts: 't', title: 'CAS_01 speed_setpoint = 950 (accepted)', text: 'risk' }),
    ).toMatchObject({ result: 'accepted' });
  });

  it('puts silent tags first and counts the pipeline figures', () => {
    const now = Date.parse('2026-01-01T10:00:00Z');
    expect(healthRows(health, now).map((row) => [row.tag, row.status])).toEqual([
      ['p/a/b/dead', 'silent'],
      ['p/a/b/never', 'never'],
      ['p/a/b/ok', 'ok'],
      ['p/a/b/old', 'retired'],
    ]);
    expect(healthFigures(health, now)).toEqual({
      staleTags: 1,
      consumerLag: 7,
      lateSamples: 3,
      droppedSamples: 1,
      deadLetters: 4,
      openGaps: 1,
    });
  });

  it('sorts numbers numerically, text naturally and nulls last', () => {
    const rows = [
      { k: 'SPCC-1B', n: 10 },
      { k: 'DC01', n: null },
      { k: '09C', n: 9 },
    ];
    expect(sortRows(rows, 'n', 'asc').map((r) => r.n)).toEqual([9, 10, null]);
    expect(sortRows(rows, 'n', 'desc').map((r) => r.n)).toEqual([10, 9, null]);
    expect(sortRows(rows, 'k', 'asc').map((r) => r.k)).toEqual(['09C', 'DC01', 'SPCC-1B']);
  });

  it('formats in the chosen zone, not the machine zone (tests run in Pacific/Easter)', () => {
    const ms = Date.parse('2026-07-01T10:00:00Z');
    expect(formatTime(ms, 'Europe/Berlin')).toBe('2026-07-01 12:00:00');
    expect(formatTime(ms, 'UTC', false)).toBe('2026-07-01 10:00');
    expect(formatDuration(90_000)).toBe('1 min 30 s');
  });

  it('parses the export CSV of a string tag', () => {
    const csv =
      'ts,tag,value,value_text,quality\n2026-01-01T00:00:00.000000Z,a/b/c/d,,running,\n2026-01-01T00:00:01.000000Z,a/b/c/d,,"coil, change",\n';
    expect(parseExportCsv(csv)).toEqual({
      ts: [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:01Z')],
      states: ['running', 'coil, change'],
    });
  });
});

describe('panel cache', () => {
  it('serves a fresh answer, refuses an old one, keeps it as stale', () => {
    const cache = new PanelCache(2);
    const data = { kind: 'rows' as const, rows: [] };
    cache.set('a', data, 1_000);
    expect(cache.get('a', 0, 999_999)).toBe(data); // refresh off: never too old
    expect(cache.get('a', 5_000, 7_000)).toBeUndefined();
    expect(cache.stale('a')).toBe(data);
    cache.set('b', data, 1);
    cache.set('c', data, 1);
    expect(cache.stale('a')).toBeUndefined(); // the oldest entry left first
  });

  it('drops the edge rows at the end of an M4 answer before live samples come', () => {
    const frame = frameFromM4(
      ['a'],
      [{ tag: 'a', times: [1, 2, 3], min: [1, 2, 2], max: [1, 2, 2], last: [1, 2, 2], count: [1, 1, 0] }],
    );
    dropTrailingEdges(frame);
    expect(frame.times).toEqual([1, 2]);
    expect(frame.lines[0]).toEqual([1, 2]);
  });
});
