import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvReader, MAX_RECORD_BYTES, type CsvDialect } from './csv.js';

type Step = { line: number; cells: string[] } | { line: number; unreadable: string };

/** Everything a reader yields for `text`, fed in pieces of `pieceBytes`. */
function readAll(
  bytes: Buffer,
  pieceBytes: number,
  dialect: CsvDialect = { delimiter: ';', encoding: 'utf8' },
): Step[] {
  const reader = new CsvReader(dialect);
  const steps: Step[] = [];
  let offset = 0;
  for (let step = reader.next(); step !== 'end'; step = reader.next()) {
    if (step === 'more') {
      if (offset >= bytes.length) reader.end();
      else reader.push(bytes.subarray(offset, (offset += pieceBytes)));
    } else if (step === 'record') steps.push({ line: reader.line, cells: reader.texts() });
    else steps.push({ line: reader.line, unreadable: reader.reason });
  }
  return steps;
}

describe('CsvReader', () => {
  it('splits relaxed CSV (literal quotes inside cells, any cell count, empty lines skipped, LF/CRLF/CR) with line numbers, however the bytes are cut', () => {
    const text =
      '\uFEFFTime;A;B\r\n[s];[mm];\r\n\r\n' +
      '13.01.2025 10:00:00,000;1,5;x"y\r\n' +
      '"quoted;cell";"with ""quotes""";"two\nlines"\n' +
      'a;;\r' +
      'short\n' +
      '\n' +
      'ü;µ;last';
    const bytes = Buffer.from(text, 'utf8');
    const expected: Step[] = [
      { line: 1, cells: ['Time', 'A', 'B'] },
      { line: 2, cells: ['[s]', '[mm]', ''] },
      { line: 4, cells: ['13.01.2025 10:00:00,000', '1,5', 'x"y'] },
      { line: 6, cells: ['quoted;cell', 'with "quotes"', 'two\nlines'] },
      { line: 7, cells: ['a', '', ''] },
      { line: 8, cells: ['short'] },
      { line: 10, cells: ['ü', 'µ', 'last'] },
    ];
    for (const piece of [1, 2, 3, 7, 64, bytes.length]) expect(readAll(bytes, piece)).toEqual(expected);
  });

  it('agrees with csv-parse, which read these files before, on a file with one kind of line end', () => {
    const bytes = Buffer.from(
      '\uFEFFTime;A;B\r\n[s];[mm];\r\n\r\n1;1,5;x"y\r\n"q;c";"w ""q""";"two\r\nlines"\r\na;;\r\nshort\r\n',
      'utf8',
    );
    const csvParse: string[][] = parse(bytes, {
      delimiter: ';',
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    });
    expect(readAll(bytes, 5).map((step) => ('cells' in step ? step.cells : []))).toEqual(csvParse);
  });

  it('reads tabs and ISO-8859-1', () => {
    const bytes = Buffer.from('Time\tµm\n1\t2,5\n', 'latin1');
    expect(readAll(bytes, 5, { delimiter: '\t', encoding: 'latin1' })).toEqual([
      { line: 1, cells: ['Time', 'µm'] },
      { line: 2, cells: ['1', '2,5'] },
    ]);
  });

  it('gives up an unreadable record alone, on its first line, and reads on from the next line', () => {
    const bytes = Buffer.from('a;b\n"x"y;1\nc;d\n"never closed;2\ne;f\n', 'utf8');
    for (const piece of [1, 4, bytes.length]) {
      expect(readAll(bytes, piece)).toEqual([
        { line: 1, cells: ['a', 'b'] },
        { line: 2, unreadable: expect.stringContaining('text after a closing quote') },
        { line: 3, cells: ['c', 'd'] },
        { line: 4, unreadable: expect.stringContaining('quote not closed') },
        { line: 5, cells: ['e', 'f'] },
      ]);
    }
  });

  it('bounds the memory an open quote can take', () => {
    const bytes = Buffer.from(`"${'x'.repeat(MAX_RECORD_BYTES + 10)}\nok;1\n`, 'utf8');
    expect(readAll(bytes, 1 << 16)).toEqual([
      { line: 1, unreadable: expect.stringContaining('record longer than') },
      { line: 2, cells: ['ok', '1'] },
    ]);
  });
});
