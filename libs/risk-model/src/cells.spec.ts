import type { Inspection } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { CellAssembler } from './cells.js';
import { labelCells } from './dataset.js';

const at = (
  stage: Inspection['stage'],
  cellId: string,
  ts: number,
  verdict: 'pass' | 'fail' = 'pass',
): Inspection => ({
  cellId,
  orderId: '98765',
  line: 'line1',
  stage,
  ts: epochUs(ts),
  measurements: {},
  verdict,
});

describe('CellAssembler', () => {
  it('pairs IPQC with FQC, idempotently until the cell is forgotten', () => {
    const assembler = new CellAssembler();
    expect(assembler.add(at('IPQC', 'a', 1))).toEqual({ kind: 'waiting' });
    const first = assembler.add(at('FQC', 'a', 2));
    expect(first).toMatchObject({ kind: 'ready', cell: { cellId: 'a', ipqc: { ts: 1 }, fqc: { ts: 2 } } });
    // A retried batch pairs the same way again.
    expect(assembler.add(at('FQC', 'a', 2))).toEqual(first);
    assembler.forget('a');
    expect(assembler.add(at('FQC', 'a', 2))).toMatchObject({ kind: 'missing-ipqc' });
  });

  it('does not score scrapped cells, and treats OQC as the outcome', () => {
    const assembler = new CellAssembler();
    expect(assembler.add(at('IPQC', 'b', 1, 'fail'))).toEqual({ kind: 'scrapped', stage: 'IPQC' });
    assembler.add(at('IPQC', 'c', 1));
    expect(assembler.add(at('FQC', 'c', 2, 'fail'))).toEqual({ kind: 'scrapped', stage: 'FQC' });
    expect(assembler.add(at('OQC', 'c', 3))).toEqual({ kind: 'outcome' });
  });

  it('drops the oldest pending IPQC beyond its bound', () => {
    const assembler = new CellAssembler(2);
    for (const cellId of ['x', 'y', 'z']) assembler.add(at('IPQC', cellId, 1));
    expect(assembler.size).toBe(2);
    expect(assembler.add(at('FQC', 'x', 2)).kind).toBe('missing-ipqc');
    expect(assembler.add(at('FQC', 'z', 2)).kind).toBe('ready');
  });
});

describe('labelCells', () => {
  it('labels by the OQC verdict and counts what it leaves out', () => {
    const { cells, skipped } = labelCells([
      at('IPQC', 'ok', 10),
      at('FQC', 'ok', 11),
      at('OQC', 'ok', 12),
      at('IPQC', 'bad', 5),
      at('FQC', 'bad', 6),
      at('OQC', 'bad', 7, 'fail'),
      at('IPQC', 'scrap', 1),
      at('FQC', 'scrap', 2, 'fail'),
      at('IPQC', 'young', 20),
      at('FQC', 'young', 21),
    ]);
    expect(cells.map((cell) => [cell.cellId, cell.label])).toEqual([
      ['bad', 1],
      ['ok', 0],
    ]);
    expect(Object.fromEntries(skipped)).toEqual({ 'scrapped at FQC': 1, 'no OQC verdict (unlabelled)': 1 });
  });

  it('pairs a reused cell id with the IPQC of its own life (a restarted simulator)', () => {
    const { cells, skipped } = labelCells([
      at('IPQC', 'r', 1),
      at('FQC', 'r', 2),
      at('OQC', 'r', 3, 'fail'),
      at('IPQC', 'r', 100),
      at('FQC', 'r', 101),
      at('IPQC', 'r', 200),
      at('FQC', 'r', 201),
      at('OQC', 'r', 202),
    ]);
    expect(cells.map((cell) => [cell.ipqc.ts, cell.fqc.ts, cell.label])).toEqual([
      [1, 2, 1],
      [200, 201, 0],
    ]);
    expect(Object.fromEntries(skipped)).toEqual({ 'no OQC verdict (unlabelled)': 1 });
  });
});
