import type { FileProfile, FileProfileInput } from './profile.js';
import { parseProfiles } from './profile.js';

const PLTCM = 'plant1/coldmill/pltcm';
const SEMICOLON = { delimiter: ';', decimalSeparator: ',', headerRows: 2 } as const;
const TAB = { delimiter: '\t', decimalSeparator: '.', headerRows: 1 } as const;
const SEMICOLON_TIME = 'dd.MM.yyyy HH:mm:ss,SSS';
const TAB_TIME = 'yyyy-MM-dd HH:mm:ss.SSS';
const fromName = (prefix: string, extension: string) => ({
  fileNamePattern: `^${prefix}_(.+)\\.${extension}$`,
});

const coilerColumns = ['CoilerTension', 'CoilerDiameter', 'CoilerSpeed'];
const coilerUnits = ['kN', 'mm', 'm/min'];
const stripColumns = ['StripPosition', 'StripSpeed', 'WeldDetected'];
const stripUnits = ['m', 'm/min', '0/1'];
const mps = Array.from({ length: 11 }, (_, index) => String(index).padStart(2, '0'));
const crowns = Array.from({ length: 5 }, (_, index) => `ThermalCrown_G${index + 1}`);

/**
 * The six PLTCM flat files of docs/demo-plant.md section 2, dropped at each coil end. Written as
 * data, the form an operator's own profiles file takes (`INGEST_FILES_PROFILES_FILE`).
 */
export const DEFAULT_PROFILE_INPUTS: readonly FileProfileInput[] = [
  {
    name: 'COIL',
    glob: 'COIL_*.csv',
    ...SEMICOLON,
    encoding: 'utf8',
    timestamp: { column: 'StartTime', format: SEMICOLON_TIME },
    entityKey: { column: 'CoilId' },
    line: 'pltcm',
    record: {
      kind: 'coil',
      columns: {
        alloyCode: 'AlloyCode',
        entryWidthMm: 'EntryWidth',
        entryThicknessMm: 'EntryThickness',
        exitThicknessMm: 'ExitThickness',
        weightKg: 'Weight',
        endTs: 'EndTime',
      },
    },
  },
  {
    name: 'COILER',
    glob: 'COILER_*.txt',
    ...TAB,
    encoding: 'utf8',
    timestamp: { column: 'Time', format: TAB_TIME },
    entityKey: fromName('COILER', 'txt'),
    line: 'pltcm',
    samples: coilerColumns.map((column, index) => ({
      column,
      tag: `${PLTCM}/coiler/${column}`,
      unit: coilerUnits[index],
    })),
    record: { kind: 'coiler', values: coilerColumns },
  },
  {
    name: 'STRIP',
    glob: 'STRIP_*.csv',
    ...SEMICOLON,
    encoding: 'utf8',
    timestamp: { column: 'Time', format: SEMICOLON_TIME },
    entityKey: fromName('STRIP', 'csv'),
    line: 'pltcm',
    samples: stripColumns.map((column, index) => ({
      column,
      tag: `${PLTCM}/strip/${column}`,
      unit: stripUnits[index],
    })),
    record: { kind: 'strip', values: stripColumns },
  },
  {
    name: 'MEAS',
    glob: 'MEAS_*.csv',
    ...SEMICOLON,
    encoding: 'utf8',
    timestamp: { column: 'Time', format: SEMICOLON_TIME },
    entityKey: fromName('MEAS', 'csv'),
    line: 'pltcm',
    samples: mps.map((mp) => ({ column: `MP${mp}`, tag: `${PLTCM}/mp${mp}/thickness_file`, unit: 'mm' })),
  },
  {
    name: 'SEG',
    glob: 'SEG_*.txt',
    ...TAB,
    encoding: 'utf8',
    timestamp: { column: 'Time', format: TAB_TIME },
    entityKey: fromName('SEG', 'txt'),
    line: 'pltcm',
    record: { kind: 'segment', mpColumn: 'MP', segmentColumn: 'Segment', values: ['LenSeg', 'ThicknessAvg'] },
  },
  {
    name: 'SETUP',
    glob: 'SETUP_*.csv',
    ...SEMICOLON,
    // The line's setup computer writes ISO-8859-1; its `µm` units show it (docs/demo-plant.md §2).
    encoding: 'latin1',
    timestamp: { column: 'Time', format: SEMICOLON_TIME },
    entityKey: fromName('SETUP', 'csv'),
    line: 'pltcm',
    record: {
      kind: 'setup',
      standColumn: 'Stand',
      values: ['RollForceSetup', 'RollGapSetup', 'TensionSetup', ...crowns],
    },
  },
];

/** {@link DEFAULT_PROFILE_INPUTS}, validated. */
export const DEFAULT_PROFILES: readonly FileProfile[] = Object.freeze(parseProfiles(DEFAULT_PROFILE_INPUTS));
