import {
  plantRecordSchema,
  describeIssues,
  type MessageInputOf,
  type TagPath,
  type TOPICS,
} from '@millrace/schema';
import type { EpochUs } from '@millrace/time';
import { FileProfileError } from './errors.js';
import type { CsvCells } from './csv.js';
import { parseDecimalCell } from './numbers.js';
import { entityKeyFromFileName, type FileProfile } from './profile.js';
import { compileTimestampParser, type TimestampParser } from './timestamps.js';

export type RecordInput = MessageInputOf<typeof TOPICS.records>;
export type SampleBatchInput = MessageInputOf<typeof TOPICS.samples>;

/** One column of a file's header: its name without the unit, and the unit if the header gives one. */
export interface HeaderColumn {
  name: string;
  unit?: string;
}

/** A good row: its instant, its entity key, one value per profile sample column (NaN where empty), its record. */
export interface MappedRow {
  ts: EpochUs;
  key: string;
  values: number[];
  record?: RecordInput;
}

export type RowResult = { ok: true; row: MappedRow } | { ok: false; reason: string };

export interface FileMapping {
  readonly columns: readonly HeaderColumn[];
  /** The tags this file's samples go to, with their unit from the header, else the profile. */
  readonly sampleTags: readonly { readonly tag: TagPath; readonly unit?: string }[];
  /** Maps one data row; never throws, a bad row comes back with its reason. */
  mapRow(cells: CsvCells): RowResult;
}

export interface FileContext {
  /** The file's base name: the entity key may come from it, and records carry it as their source. */
  fileName: string;
  /** IANA zone of local times when the profile names none (`MILLRACE_PLANT_TZ`). */
  plantTimeZone: string;
}

const UNIT_IN_NAME = /^(.*?)\s*\[([^\]]*)\]\s*$/;

/**
 * Reads the header rows: the first holds the names, optionally with a `[unit]` suffix
 * (`EntryWidth [mm]`, `CoilerTension[kN]`); a second row, where there is one, may hold the units
 * alone (`[mm]`).
 */
export function readHeader(rows: readonly (readonly string[])[]): HeaderColumn[] {
  const [names = [], units = []] = rows;
  return names.map((cell, index) => {
    const inName = UNIT_IN_NAME.exec(cell.trim());
    const name = (inName?.[1] ?? cell).trim();
    const unitCell = units[index]?.trim() ?? '';
    const unit = inName?.[2]?.trim() || (UNIT_IN_NAME.exec(unitCell)?.[2] ?? unitCell).trim();
    return unit === '' ? { name } : { name, unit };
  });
}

/**
 * Binds a profile to a file's header: checks every column the profile needs is there (throws
 * {@link FileProfileError} naming the missing ones, which rejects the whole file) and returns the
 * row mapper.
 */
export function compileFileMapping(
  profile: FileProfile,
  headerRows: readonly (readonly string[])[],
  context: FileContext,
): FileMapping {
  const columns = readHeader(headerRows);
  const indexOf = new Map<string, number>();
  columns.forEach((column, index) => {
    if (!indexOf.has(column.name)) indexOf.set(column.name, index);
  });
  const missing = new Set<string>();
  const need = (name: string): number => {
    const index = indexOf.get(name);
    if (index === undefined) {
      missing.add(name);
      return -1;
    }
    return index;
  };

  const tsIndex = need(profile.timestamp.column);
  const fileKey = entityKeyFromFileName(profile, context.fileName);
  const keyIndex = 'column' in profile.entityKey ? need(profile.entityKey.column) : -1;
  if ('fileNamePattern' in profile.entityKey && fileKey === undefined) {
    throw new FileProfileError(
      `file name ${context.fileName} does not match the key pattern ${profile.entityKey.fileNamePattern} of profile ${profile.name}`,
      { file: context.fileName, profile: profile.name },
    );
  }
  const sampleIndexes = (profile.samples ?? []).map((sample) => need(sample.column));
  const record = profile.record;
  const valueIndexes =
    record && record.kind !== 'coil' ? record.values.map((name) => [name, need(name)] as const) : [];
  const coil = record?.kind === 'coil' ? record.columns : undefined;
  const coilIndexes = {
    alloyCode: coil ? need(coil.alloyCode) : -1,
    entryWidthMm: coil ? need(coil.entryWidthMm) : -1,
    entryThicknessMm: coil?.entryThicknessMm === undefined ? -1 : need(coil.entryThicknessMm),
    exitThicknessMm: coil ? need(coil.exitThicknessMm) : -1,
    weightKg: coil ? need(coil.weightKg) : -1,
    endTs: coil ? need(coil.endTs) : -1,
  };
  const standIndex =
    record?.kind === 'setup' && record.standColumn !== undefined ? need(record.standColumn) : -1;
  const mpIndex = record?.kind === 'segment' ? need(record.mpColumn) : -1;
  const segmentIndex = record?.kind === 'segment' ? need(record.segmentColumn) : -1;
  if (missing.size > 0) {
    throw new FileProfileError(
      `${context.fileName}: header lacks column(s) ${[...missing].join(', ')} that profile ${profile.name} needs ` +
        `(header: ${columns.map((column) => column.name).join(', ')})`,
      { file: context.fileName, profile: profile.name },
    );
  }
  for (const [position, sample] of (profile.samples ?? []).entries()) {
    const headerUnit = columns[sampleIndexes[position] ?? -1]?.unit;
    if (sample.unit !== undefined && headerUnit !== undefined && headerUnit !== sample.unit) {
      throw new FileProfileError(
        `${context.fileName}: column ${sample.column} is in ${headerUnit}, profile ${profile.name} expects ${sample.unit}`,
        { file: context.fileName, profile: profile.name },
      );
    }
  }

  const parseTs: TimestampParser = compileTimestampParser(
    profile.timestamp.format,
    profile.timestamp.timeZone ?? context.plantTimeZone,
  );
  const separator = profile.decimalSeparator;
  const source = `file:${context.fileName}`;
  const width = columns.length;
  const sampleCount = sampleIndexes.length;

  const mapRow = (cells: CsvCells): RowResult => {
    if (cells.count !== width) return { ok: false, reason: `expected ${width} cells, got ${cells.count}` };
    const ts = parseTs.cell(cells, tsIndex);
    if (!ts.ok) return { ok: false, reason: `column ${profile.timestamp.column}: ${ts.reason}` };
    const key = keyIndex >= 0 ? cells.text(keyIndex).trim() : (fileKey ?? '');
    if (key === '') return { ok: false, reason: 'empty entity key (coil id)' };

    // A plain array: a Float64Array of 11 doubles is backed off the V8 heap (over 64 bytes), and
    // allocating and collecting one a row cost a third of the ingest's CPU.
    const values = new Array<number>(sampleCount);
    for (let position = 0; position < sampleCount; position += 1) {
      const index = sampleIndexes[position] ?? -1;
      const parsed = number(cells, index);
      if (parsed === INVALID)
        return { ok: false, reason: notANumber(columns[index]?.name, cells.text(index)) };
      values[position] = parsed;
    }
    if (record === undefined) return { ok: true, row: { ts: ts.us, key, values } };

    let candidate: RecordInput;
    const base = { line: profile.line, coilId: key, ts: ts.us, source };
    if (record.kind === 'coil') {
      const endTs = parseTs.cell(cells, coilIndexes.endTs);
      if (!endTs.ok) return { ok: false, reason: `column ${record.columns.endTs}: ${endTs.reason}` };
      const numbers: Record<string, number> = {};
      for (const field of ['entryWidthMm', 'entryThicknessMm', 'exitThicknessMm', 'weightKg'] as const) {
        const index = coilIndexes[field];
        if (index < 0) continue;
        const parsed = number(cells, index);
        if (parsed === INVALID || Number.isNaN(parsed)) {
          if (field === 'entryThicknessMm' && Number.isNaN(parsed)) continue;
          return { ok: false, reason: notANumber(columns[index]?.name, cells.text(index)) };
        }
        numbers[field] = parsed;
      }
      candidate = {
        kind: 'coil',
        ...base,
        endTs: endTs.us,
        alloyCode: cells.text(coilIndexes.alloyCode).trim(),
        ...(numbers as { entryWidthMm: number; exitThicknessMm: number; weightKg: number }),
      };
    } else {
      const recordValues: Record<string, number> = {};
      for (const [name, index] of valueIndexes) {
        const parsed = number(cells, index);
        if (parsed === INVALID) return { ok: false, reason: notANumber(name, cells.text(index)) };
        if (!Number.isNaN(parsed)) recordValues[name] = parsed;
      }
      if (record.kind === 'setup') {
        let stand: number | undefined;
        if (standIndex >= 0) {
          stand = Number(cells.text(standIndex).trim());
          if (!Number.isInteger(stand))
            return {
              ok: false,
              reason: `column ${record.standColumn}: "${cells.text(standIndex)}" is not a stand number`,
            };
        }
        candidate = {
          kind: 'setup',
          ...base,
          ...(stand === undefined ? {} : { stand }),
          values: recordValues,
        };
      } else if (record.kind === 'segment') {
        const mp = measurementPoint(cells.text(mpIndex));
        if (mp === undefined)
          return {
            ok: false,
            reason: `column ${record.mpColumn}: "${cells.text(mpIndex)}" is not a measurement point`,
          };
        const segment = Number(cells.text(segmentIndex).trim());
        if (!Number.isInteger(segment))
          return {
            ok: false,
            reason: `column ${record.segmentColumn}: "${cells.text(segmentIndex)}" is not a segment number`,
          };
        candidate = { kind: 'segment', ...base, mp, segment, values: recordValues };
      } else {
        candidate = { kind: record.kind, ...base, values: recordValues };
      }
    }
    // The record is checked here, row by row, so one bad row is dead-lettered alone instead of failing its chunk's send.
    const checked = plantRecordSchema.safeParse(candidate);
    if (!checked.success) return { ok: false, reason: `record: ${describeIssues(checked.error)}` };
    return { ok: true, row: { ts: ts.us, key, values, record: candidate } };
  };

  /** A cell's number; NaN for an empty cell (a value the machine did not write), INVALID for anything else. */
  function number(cells: CsvCells, index: number): number {
    const parsed = parseDecimalCell(cells, index, separator);
    if (parsed !== undefined) return parsed;
    return cells.text(index).trim() === '' ? Number.NaN : INVALID;
  }

  const sampleTags = (profile.samples ?? []).map((sample, position) => {
    const unit = columns[sampleIndexes[position] ?? -1]?.unit ?? sample.unit;
    return unit === undefined ? { tag: sample.tag } : { tag: sample.tag, unit };
  });
  return { columns, sampleTags, mapRow };
}

// A sentinel distinct from NaN (empty cell) and from every finite number parseDecimal can return.
const INVALID = Number.POSITIVE_INFINITY;

function notANumber(column: string | undefined, cell: string): string {
  return `column ${column ?? '?'}: "${cell}" is not a number`;
}

function measurementPoint(cell: string): string | undefined {
  const match = /^(?:MP)?(\d{1,2})$/i.exec(cell.trim());
  return match ? `MP${(match[1] ?? '').padStart(2, '0')}` : undefined;
}
