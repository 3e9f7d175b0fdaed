import { DateTime } from 'luxon';
import { round } from './numbers.js';
import { mpName, MP_COUNT, pltcmStateAt, type Coil, type PltcmOptions, type PltcmState } from './pltcm.js';

/**
 * The six flat files the line's machines drop for each finished coil (docs/demo-plant.md, section 2):
 * two dialects as on the real line, `;` with decimal commas and German-style dates from the level-2 PCs,
 * tab with decimal points and ISO-like dates from the exit section, all in the plant's local time without
 * an offset, CRLF line ends. SETUP is ISO-8859-1 (its `µ` shows it), the rest UTF-8.
 */
export type CoilFileKind = 'COIL' | 'COILER' | 'STRIP' | 'MEAS' | 'SEG' | 'SETUP';

export interface CoilFile {
  kind: CoilFileKind;
  /** e.g. `COIL_1736809000B100.csv`. */
  fileName: string;
  bytes: Uint8Array;
}

export interface RenderOptions {
  /** IANA zone of the plant, e.g. `Europe/Berlin`. */
  zone: string;
}

/** Rows per segment of the SEG file: one segment per this many seconds of rolling. */
export const SEGMENT_SECONDS = 10;

const EOL = '\r\n';
const SEMICOLON_TIME = 'dd.MM.yyyy HH:mm:ss,SSS';
const TAB_TIME = 'yyyy-MM-dd HH:mm:ss.SSS';

/** Renders the six files of `coil` from the line's states over its whole run, one per second. */
export function renderCoilFiles(options: PltcmOptions, coil: Coil, render: RenderOptions): CoilFile[] {
  if (!DateTime.local().setZone(render.zone).isValid) {
    throw new RangeError(`unknown time zone "${render.zone}"`);
  }
  const states: PltcmState[] = [];
  for (let t: number = coil.startMs; t < coil.endMs; t += 1000) states.push(pltcmStateAt(options, t));
  const semicolonTime = (ms: number) => localTime(ms, render.zone, SEMICOLON_TIME);
  const tabTime = (ms: number) => localTime(ms, render.zone, TAB_TIME);
  const id = coil.id;
  return [
    { kind: 'COIL', fileName: `COIL_${id}.csv`, bytes: utf8(renderCoil(coil, semicolonTime)) },
    { kind: 'COILER', fileName: `COILER_${id}.txt`, bytes: utf8(renderCoiler(states, tabTime)) },
    { kind: 'STRIP', fileName: `STRIP_${id}.csv`, bytes: utf8(renderStrip(states, semicolonTime)) },
    { kind: 'MEAS', fileName: `MEAS_${id}.csv`, bytes: utf8(renderMeas(states, semicolonTime)) },
    { kind: 'SEG', fileName: `SEG_${id}.txt`, bytes: utf8(renderSeg(coil, states, tabTime)) },
    { kind: 'SETUP', fileName: `SETUP_${id}.csv`, bytes: latin1(renderSetup(states, semicolonTime)) },
  ];
}

type TimeFormat = (ms: number) => string;

function renderCoil(coil: Coil, time: TimeFormat): string {
  return lines([
    'CoilId;AlloyCode;EntryWidth;EntryThickness;ExitThickness;Weight;StartTime;EndTime',
    ';;[mm];[mm];[mm];[kg];;',
    [
      coil.id,
      coil.alloyCode,
      comma(coil.entryWidthMm, 0),
      comma(coil.entryThicknessMm, 2),
      comma(coil.exitThicknessMm, 2),
      comma(coil.weightKg, 0),
      time(coil.startMs),
      time(coil.endMs),
    ].join(';'),
  ]);
}

function renderCoiler(states: readonly PltcmState[], time: TimeFormat): string {
  const rows = states.map((state) =>
    [
      time(state.tMs),
      state.coilerTensionKn.toFixed(2),
      state.coilerDiameterMm.toFixed(1),
      state.exitSpeedMMin.toFixed(1),
    ].join('\t'),
  );
  return lines(['Time\tCoilerTension[kN]\tCoilerDiameter[mm]\tCoilerSpeed[m/min]', ...rows]);
}

function renderStrip(states: readonly PltcmState[], time: TimeFormat): string {
  let positionM = 0;
  const rows = states.map((state, second) => {
    positionM += state.exitSpeedMMin / 60;
    // The weld between this coil and the previous passes the exit at the coil's first second.
    return [
      time(state.tMs),
      comma(positionM, 2),
      comma(state.exitSpeedMMin, 1),
      second === 0 ? '1' : '0',
    ].join(';');
  });
  return lines(['Time;StripPosition;StripSpeed;WeldDetected', ';[m];[m/min];[0/1]', ...rows]);
}

function renderMeas(states: readonly PltcmState[], time: TimeFormat): string {
  const mps = Array.from({ length: MP_COUNT }, (_, mp) => mpName(mp));
  const rows = states.map((state) =>
    [time(state.tMs), ...state.thicknessMm.map((thickness) => comma(thickness, 4))].join(';'),
  );
  return lines([['Time', ...mps].join(';'), ['', ...mps.map(() => '[mm]')].join(';'), ...rows]);
}

function renderSeg(coil: Coil, states: readonly PltcmState[], time: TimeFormat): string {
  const rows: string[] = [];
  for (let first = 0, segment = 1; first < states.length; first += SEGMENT_SECONDS, segment += 1) {
    const slice = states.slice(first, first + SEGMENT_SECONDS);
    const last = slice[slice.length - 1];
    if (last === undefined) break;
    for (let mp = 0; mp < MP_COUNT; mp += 1) {
      let lengthM = 0;
      let thicknessSum = 0;
      for (const state of slice) {
        const thickness = state.thicknessMm[mp] ?? coil.exitThicknessMm;
        // Mass flow is constant along the line: thicker strip moves slower.
        lengthM += (state.exitSpeedMMin * coil.exitThicknessMm) / thickness / 60;
        thicknessSum += thickness;
      }
      rows.push(
        [
          time(last.tMs),
          mpName(mp),
          String(segment),
          lengthM.toFixed(3),
          (thicknessSum / slice.length).toFixed(4),
        ].join('\t'),
      );
    }
  }
  return lines(['Time\tMP\tSegment\tLenSeg[m]\tThicknessAvg[mm]', ...rows]);
}

function renderSetup(states: readonly PltcmState[], time: TimeFormat): string {
  const first = states[0];
  if (first === undefined) return lines([]);
  // The level-2 system computes the setup before the coil enters the mill; steady-state values of
  // the coil stand for it, so the setup matches what is then rolled.
  const steady = states[Math.floor(states.length / 2)] ?? first;
  const crownNames = steady.thermalCrownUm.map((_, zone) => `ThermalCrown_G${zone + 1}`);
  const rows = steady.stands.map((stand, index) =>
    [
      time(first.tMs),
      String(index + 1),
      comma(stand.rollForceKn, 1),
      comma(stand.rollGapMm, 3),
      comma(stand.tensionKn, 2),
      // Each stand's rolls run a little hotter than the one before.
      ...steady.thermalCrownUm.map((crown) => comma(crown * (0.85 + 0.05 * index), 2)),
    ].join(';'),
  );
  return lines([
    ['Time', 'Stand', 'RollForceSetup', 'RollGapSetup', 'TensionSetup', ...crownNames].join(';'),
    ['', '', '[kN]', '[mm]', '[kN]', ...crownNames.map(() => '[µm]')].join(';'),
    ...rows,
  ]);
}

/** `ms` as wall-clock time in `zone`, without an offset, as the line's PCs write it. */
export function localTime(ms: number, zone: string, format: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat(format);
}

/** A number with a decimal comma, as German-locale machines write it. */
function comma(value: number, decimals: number): string {
  return round(value, decimals).toFixed(decimals).replace('.', ',');
}

function lines(rows: readonly string[]): string {
  return rows.map((row) => row + EOL).join('');
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** ISO-8859-1 bytes; the text holds only Latin-1 characters, anything else is a bug in a renderer. */
function latin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code > 0xff) throw new RangeError(`character U+${code.toString(16)} is not in ISO-8859-1`);
    bytes[index] = code;
  }
  return bytes;
}
