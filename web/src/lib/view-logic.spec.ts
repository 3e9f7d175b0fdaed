import { frameFromM4 } from '@millrace/dashboards';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import type { HealthAnswer } from './api.js';
import { dropTrailingEdges, PanelCache } from './data.js';
import {
  commandOutcome,
  eventRow,
  mesCommandRows,
  mesOrderRows,
  mesOutboxRows,
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

  it('shows the strongest reasons of a risk with their values, and why a cell was not scored', () => {
    const risk = {
      cellId: '98765-00002',
      orderId: '98765',
      riskClass: 'high',
      probability: 0.91,
      recommendation: 'short-term testing recommended',
      modelVersion: 'lr-4',
      reasons: [
        { feature: 'seal_temp', value: 181.5, contribution: 0.2 },
        { feature: 'vibration', value: 0.31, contribution: 1.25 },
        { feature: 'speed', value: 1180, contribution: -0.4 },
        { feature: 'ocv', value: null, contribution: 0.01 },
      ],
      unknownReason: null,
    };
    const row = eventRow({ kind: 'risk', ts: 't', title: 'x', text: 'y', risk });
    expect(row).toMatchObject({
      cell: '98765-00002',
      order: '98765',
      probability: 0.91,
      modelVersion: 'lr-4',
    });
    expect(row.reasons).toBe('vibration 0.31 (+1.25), speed 1,180 (−0.40), seal_temp 181.5 (+0.20)');
    const unscored = eventRow({
      kind: 'risk',
      ts: 't',
      title: 'x',
      text: 'y',
      risk: {
        ...risk,
        riskClass: 'unknown',
        probability: null,
        reasons: [],
        unknownReason: 'no IPQC record',
      },
    });
    expect(unscored).toMatchObject({ riskClass: 'unknown', reasons: null, unknownReason: 'no IPQC record' });
  });

  it('reads the command audit: one row per command with its outcome, results not yet stored included', () => {
    const id1 = '00000000-0000-4000-8000-000000000001';
    const id2 = '00000000-0000-4000-8000-000000000002';
    const audit = (result: string, detail: string | null, ts: string, commandId = id1) => ({
      ts,
      commandId,
      machine: 'CAS_01',
      setpoint: 'speed_setpoint',
      value: 950,
      reason: 'vibration high',
      issuedBy: 'user:ops',
      modelVersion: null,
      result,
      detail,
    });
    const answer = {
      audit: [
        audit('rejected', 'step 200 > 100', '2026-01-01T10:00:01Z'),
        audit('requested', null, '2026-01-01T10:00:00Z'),
        audit('requested', null, '2026-01-01T10:00:05Z', id2),
      ],
      recentResults: [
        {
          commandId: id2,
          ts: epochUs(Date.parse('2026-01-01T10:00:06Z') * 1000),
          machine: 'CAS_01',
          setpoint: 'speed_setpoint',
          result: 'accepted' as const,
          detail: 'written',
        },
      ],
    };
    expect(mesCommandRows(answer).map((row) => [row.commandId, row.result, row.detail])).toEqual([
      [id2, 'accepted', 'written'],
      [id1, 'rejected', 'step 200 > 100'],
    ]);
    expect(commandOutcome(answer, id1)).toEqual({ result: 'rejected', detail: 'step 200 > 100' });
    expect(commandOutcome(answer, id2)).toEqual({ result: 'accepted', detail: 'written' });
    expect(
      commandOutcome({ audit: [audit('requested', null, 't')], recentResults: [] }, id1),
    ).toBeUndefined();
  });

  it('lists the outbox depth, the item in delivery and the dead letters', () => {
    const rows = mesOutboxRows({
      depth: 3,
      deadLetters: 1,
      delivering: { id: 'r-1', kind: 'result', attempts: 4, lastError: 'MES answered 503' },
      oldestDeadLetters: [{ id: 'r-0', kind: 'result', reason: 'MES answered 400' }],
    });
    expect(rows.map((row) => `${row.name}: ${row.value}`)).toEqual([
      'Waiting (depth): 3',
      'Dead letters: 1',
      'Delivering: result r-1, attempt 4',
      'Last error: MES answered 503',
      'Dead letter: kind: result, id: r-0, reason: MES answered 400',
    ]);
    expect(
      mesOrderRows([
        {
          orderId: 'o',
          line: 'l',
          product: 'p',
          quantity: 1,
          state: 'running',
          ts: epochUs(1_700_000_000_000_000),
          startedAt: epochUs(1_700_000_000_000_000),
        },
      ])[0],
    ).toMatchObject({
      startedAt: '2023-11-14T22:13:20.000Z',
      endedAt: null,
    });
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
