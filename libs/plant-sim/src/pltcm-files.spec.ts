import { describe, expect, it } from 'vitest';
import { coilAt } from './pltcm.js';
import { renderCoilFiles, type CoilFile, type CoilFileKind } from './pltcm-files.js';

const options = { seed: 42, coilSeconds: 60 };
const zone = 'Europe/Berlin';
// 2025-07-01 08:00:00 UTC: summer time, Berlin is UTC+2 (and the test process runs in Pacific/Easter).
const summer = Date.UTC(2025, 6, 1, 8, 0, 0);
// 2025-01-15 08:00:00 UTC: winter, UTC+1.
const winter = Date.UTC(2025, 0, 15, 8, 0, 0);

function files(tMs: number): Map<CoilFileKind, CoilFile> {
  return new Map(renderCoilFiles(options, coilAt(options, tMs), { zone }).map((file) => [file.kind, file]));
}

function text(file: CoilFile | undefined): string {
  if (!file) throw new Error('missing file');
  return new TextDecoder('utf-8').decode(file.bytes);
}

function rows(file: CoilFile | undefined): string[] {
  const body = text(file);
  expect(body.endsWith('\r\n')).toBe(true);
  return body.slice(0, -2).split('\r\n');
}

describe('renderCoilFiles', () => {
  it('names the six files after the coil', () => {
    const coil = coilAt(options, summer);
    expect(renderCoilFiles(options, coil, { zone }).map((file) => file.fileName)).toEqual([
      `COIL_${coil.id}.csv`,
      `COILER_${coil.id}.txt`,
      `STRIP_${coil.id}.csv`,
      `MEAS_${coil.id}.csv`,
      `SEG_${coil.id}.txt`,
      `SETUP_${coil.id}.csv`,
    ]);
  });

  it('is byte-identical for the same seed', () => {
    const a = renderCoilFiles(options, coilAt(options, summer), { zone });
    const b = renderCoilFiles(options, coilAt(options, summer), { zone });
    expect(a).toEqual(b);
  });

  it('writes COIL with names, units, decimal commas and local start/end time (summer, UTC+2)', () => {
    const coil = coilAt(options, summer);
    const [names, units, row, extra] = rows(files(summer).get('COIL'));
    expect(names).toBe('CoilId;AlloyCode;EntryWidth;EntryThickness;ExitThickness;Weight;StartTime;EndTime');
    expect(units).toBe(';;[mm];[mm];[mm];[kg];;');
    expect(extra).toBeUndefined();
    const cells = (row ?? '').split(';');
    expect(cells[0]).toBe(coil.id);
    expect(cells[3]).toBe(coil.entryThicknessMm.toFixed(2).replace('.', ','));
    expect(cells[4]).toMatch(/^\d,\d{2}$/);
    expect(cells[6]).toBe('01.07.2025 10:00:00,000');
    expect(cells[7]).toBe('01.07.2025 10:01:00,000');
  });

  it('uses the winter offset (UTC+1) outside DST', () => {
    const [, , row] = rows(files(winter).get('COIL'));
    expect((row ?? '').split(';')[6]).toBe('15.01.2025 09:00:00,000');
  });

  it('keeps wall-clock time across the spring-forward gap (last Sunday of March, 02:00 -> 03:00)', () => {
    // 2025-03-30 00:59:30 UTC = 01:59:30 CET; a minute later it is 03:00:30 CEST.
    const gap = Date.UTC(2025, 2, 30, 0, 59, 30);
    // 7-minute coils are off the hour grid, so one coil spans the change.
    const seven = { seed: 1, coilSeconds: 420 };
    const strip = renderCoilFiles(seven, coilAt(seven, gap), { zone }).find((file) => file.kind === 'STRIP');
    const stripRows = rows(strip).slice(2);
    const times = stripRows.map((row) => row.split(';')[0] ?? '');
    expect(times).toContain('30.03.2025 01:59:59,000');
    expect(times).toContain('30.03.2025 03:00:00,000');
    expect(times.some((time) => time.includes(' 02:'))).toBe(false);
  });

  it('writes COILER tab-separated with unit suffixes, decimal points and ISO-like local time', () => {
    const all = rows(files(summer).get('COILER'));
    expect(all[0]).toBe('Time\tCoilerTension[kN]\tCoilerDiameter[mm]\tCoilerSpeed[m/min]');
    expect(all).toHaveLength(1 + 60);
    const cells = (all[1] ?? '').split('\t');
    expect(cells[0]).toBe('2025-07-01 10:00:00.000');
    expect(cells[1]).toMatch(/^\d+\.\d{2}$/);
    expect(all.join('')).not.toContain(',');
  });

  it('writes STRIP with a weld at the coil head and a growing position', () => {
    const all = rows(files(summer).get('STRIP'));
    expect(all[0]).toBe('Time;StripPosition;StripSpeed;WeldDetected');
    expect(all[1]).toBe(';[m];[m/min];[0/1]');
    const data = all.slice(2).map((row) => row.split(';'));
    expect(data).toHaveLength(60);
    expect(data[0]?.[3]).toBe('1');
    expect(data.slice(1).every((cells) => cells[3] === '0')).toBe(true);
    const positions = data.map((cells) => Number((cells[1] ?? '').replace(',', '.')));
    expect(positions.every((position, index) => index === 0 || position >= (positions[index - 1] ?? 0))).toBe(
      true,
    );
    expect(data[30]?.[1]).toMatch(/^\d+,\d{2}$/);
  });

  it('writes MEAS wide, one column per measurement point', () => {
    const all = rows(files(summer).get('MEAS'));
    expect(all[0]).toBe('Time;MP00;MP01;MP02;MP03;MP04;MP05;MP06;MP07;MP08;MP09;MP10');
    expect(all[1]).toBe(`;${Array(11).fill('[mm]').join(';')}`);
    expect((all[2] ?? '').split(';')).toHaveLength(12);
    expect((all[2] ?? '').split(';')[1]).toMatch(/^\d,\d{4}$/);
  });

  it('writes SEG one row per segment and measurement point', () => {
    const all = rows(files(summer).get('SEG'));
    expect(all[0]).toBe('Time\tMP\tSegment\tLenSeg[m]\tThicknessAvg[mm]');
    expect(all).toHaveLength(1 + 6 * 11);
    const cells = (all[1] ?? '').split('\t');
    expect(cells[1]).toBe('MP00');
    expect(cells[2]).toBe('1');
    expect(cells[3]).toMatch(/^\d+\.\d{3}$/);
  });

  it('writes SETUP in ISO-8859-1, one row per stand', () => {
    const file = files(summer).get('SETUP');
    if (!file) throw new Error('missing SETUP');
    // µ is one byte 0xB5 in ISO-8859-1 (two bytes, C2 B5, in UTF-8).
    expect(file.bytes.includes(0xb5)).toBe(true);
    expect(file.bytes.includes(0xc2)).toBe(false);
    const latin = new TextDecoder('latin1').decode(file.bytes);
    const all = latin.slice(0, -2).split('\r\n');
    expect(all[0]).toBe(
      'Time;Stand;RollForceSetup;RollGapSetup;TensionSetup;ThermalCrown_G1;ThermalCrown_G2;ThermalCrown_G3;ThermalCrown_G4;ThermalCrown_G5',
    );
    expect(all[1]).toBe(';;[kN];[mm];[kN];[µm];[µm];[µm];[µm];[µm]');
    expect(all.slice(2).map((row) => row.split(';')[1])).toEqual(['1', '2', '3', '4', '5']);
    expect(all[2]?.split(';')[0]).toBe('01.07.2025 10:00:00,000');
  });

  it('refuses an unknown zone', () => {
    expect(() => renderCoilFiles(options, coilAt(options, summer), { zone: 'Mars/Olympus' })).toThrow(
      /time zone/,
    );
  });
});
