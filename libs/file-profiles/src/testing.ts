/**
 * Fixture files of the demo plant's PLTCM drop folder, written from docs/demo-plant.md section 2
 * (not from the simulator), for this lib's specs and the ingest service's tests.
 */

export type FixtureKind = 'COIL' | 'COILER' | 'STRIP' | 'MEAS' | 'SEG' | 'SETUP';

export interface FixtureFile {
  name: string;
  bytes: Buffer;
  /** Data rows written (header lines excluded). */
  rows: number;
}

export interface FixtureOptions {
  coilId: string;
  /** Local wall-clock start in the plant zone, as `Date.UTC` fields would give it (no zone applied). */
  startWallMs: number;
  rows?: number;
  /** `;` files: units in a second header line (`;[mm]`, the doc's "names, units") or inline (`EntryWidth [mm]`). */
  unitStyle?: 'second-line' | 'inline';
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `dd.MM.yyyy HH:mm:ss,SSS` of a wall-clock instant. */
export function semicolonTime(wallMs: number): string {
  const d = new Date(wallMs);
  return `${pad(d.getUTCDate())}.${pad(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`;
}

/** `yyyy-MM-dd HH:mm:ss.SSS` of a wall-clock instant. */
export function tabTime(wallMs: number): string {
  const d = new Date(wallMs);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

const comma = (value: number, digits = 3) => value.toFixed(digits).replace('.', ',');

function semicolonFile(
  names: string[],
  units: string[],
  rows: string[][],
  style: FixtureOptions['unitStyle'],
): string {
  const header =
    style === 'inline'
      ? [
          names.map((name, index) => (units[index] ? `${name} [${units[index]}]` : name)).join(';'),
          units.map(() => '').join(';'),
        ]
      : [names.join(';'), units.map((unit) => (unit ? `[${unit}]` : '')).join(';')];
  return [...header, ...rows.map((row) => row.join(';'))].join('\r\n') + '\r\n';
}

function tabFile(names: string[], units: string[], rows: string[][]): string {
  const header = names.map((name, index) => (units[index] ? `${name}[${units[index]}]` : name)).join('\t');
  return [header, ...rows.map((row) => row.join('\t'))].join('\n') + '\n';
}

/**
 * A thickness gauge's scatter, 0 to 0.0199 mm in steps of 0.0001: deterministic, but with no short
 * period, so compressing a fixture's batches (bench/ingest-files) gets what a real file gives it.
 */
function gaugeNoise(index: number): number {
  return ((Math.imul(index + 1, 0x9e3779b1) >>> 0) % 200) * 0.0001;
}

/** One file of the given kind; values are deterministic functions of the row index. */
export function fixtureFile(kind: FixtureKind, options: FixtureOptions): FixtureFile {
  const { coilId, startWallMs } = options;
  const count = options.rows ?? 10;
  const at = (index: number) => startWallMs + index * 1000;
  switch (kind) {
    case 'COIL': {
      const rows = [
        [
          coilId,
          'DC01',
          comma(1020, 1),
          comma(2.5),
          comma(0.8),
          comma(18250, 0),
          semicolonTime(at(0)),
          semicolonTime(at(180)),
        ],
      ];
      const text = semicolonFile(
        [
          'CoilId',
          'AlloyCode',
          'EntryWidth',
          'EntryThickness',
          'ExitThickness',
          'Weight',
          'StartTime',
          'EndTime',
        ],
        ['', '', 'mm', 'mm', 'mm', 'kg', '', ''],
        rows,
        options.unitStyle,
      );
      return { name: `COIL_${coilId}.csv`, bytes: Buffer.from(text, 'utf8'), rows: 1 };
    }
    case 'COILER': {
      const rows = Array.from({ length: count }, (_, i) => [
        tabTime(at(i)),
        (100 + i * 0.5).toFixed(3),
        (600 + i).toFixed(2),
        (400 + (i % 7)).toFixed(2),
      ]);
      const text = tabFile(
        ['Time', 'CoilerTension', 'CoilerDiameter', 'CoilerSpeed'],
        ['', 'kN', 'mm', 'm/min'],
        rows,
      );
      return { name: `COILER_${coilId}.txt`, bytes: Buffer.from(text, 'utf8'), rows: count };
    }
    case 'STRIP': {
      const rows = Array.from({ length: count }, (_, i) => [
        semicolonTime(at(i)),
        comma(i * 6.5, 2),
        comma(390 + (i % 5), 1),
        i % 50 === 0 ? '1' : '0',
      ]);
      const text = semicolonFile(
        ['Time', 'StripPosition', 'StripSpeed', 'WeldDetected'],
        ['', 'm', 'm/min', '0/1'],
        rows,
        options.unitStyle,
      );
      return { name: `STRIP_${coilId}.csv`, bytes: Buffer.from(text, 'utf8'), rows: count };
    }
    case 'MEAS': {
      const mps = Array.from({ length: 11 }, (_, mp) => `MP${pad(mp)}`);
      const rows = Array.from({ length: count }, (_, i) => [
        semicolonTime(at(i)),
        ...mps.map((_, mp) => comma(2.5 - mp * 0.17 + gaugeNoise(i * mps.length + mp), 4)),
      ]);
      const text = semicolonFile(['Time', ...mps], ['', ...mps.map(() => 'mm')], rows, options.unitStyle);
      return { name: `MEAS_${coilId}.csv`, bytes: Buffer.from(text, 'utf8'), rows: count };
    }
    case 'SEG': {
      const rows = Array.from({ length: count }, (_, i) => [
        tabTime(at(i)),
        `MP${pad(i % 11)}`,
        String(Math.floor(i / 11)),
        (10).toFixed(3),
        (0.8 + (i % 11) * 0.001).toFixed(4),
      ]);
      const text = tabFile(
        ['Time', 'MP', 'Segment', 'LenSeg', 'ThicknessAvg'],
        ['', '', '', 'm', 'mm'],
        rows,
      );
      return { name: `SEG_${coilId}.txt`, bytes: Buffer.from(text, 'utf8'), rows: count };
    }
    case 'SETUP': {
      const crowns = Array.from({ length: 5 }, (_, g) => `ThermalCrown_G${g + 1}`);
      const rows = Array.from({ length: 5 }, (_, s) => [
        semicolonTime(at(0)),
        String(s + 1),
        comma(9000 - s * 500, 1),
        comma(2 - s * 0.25, 3),
        comma(120 + s, 1),
        ...crowns.map((_, g) => comma(10 + g + s * 0.1, 2)),
      ]);
      const text = semicolonFile(
        ['Time', 'Stand', 'RollForceSetup', 'RollGapSetup', 'TensionSetup', ...crowns],
        ['', '', 'kN', 'mm', 'kN', ...crowns.map(() => 'µm')],
        rows,
        options.unitStyle,
      );
      // ISO-8859-1, as the doc says: the µ is one byte 0xB5.
      return { name: `SETUP_${coilId}.csv`, bytes: Buffer.from(text, 'latin1'), rows: 5 };
    }
  }
}
