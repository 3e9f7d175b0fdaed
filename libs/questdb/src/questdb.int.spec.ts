import { randomUUID } from 'node:crypto';
import { TABLES, type TableSpec } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IlpWriter, migrate, QueryClient, type Row, type TextColumn } from './index.js';

/** A copy of a table spec under a unique name, so each test has a table of its own. */
function uniqueTable(spec: TableSpec): TableSpec {
  return { ...spec, name: `test_${spec.name}_${randomUUID().slice(0, 8)}` };
}

describe('libs/questdb against a real QuestDB', () => {
  let client: QueryClient;
  let writer: IlpWriter;

  beforeAll(async () => {
    const stack = inject('stack');
    client = new QueryClient({ pgUrl: stack.questdbPgUrl });
    writer = await IlpWriter.connect({ httpUrl: stack.questdbUrl });
  });

  afterAll(async () => {
    await writer.close();
    await client.end();
  });

  it('migrates idempotently and adds a column a newer release defines', async () => {
    const older = uniqueTable(TABLES.orders);
    const withoutQuantity = { ...older, columns: older.columns.filter((c) => c.name !== 'quantity') };
    expect((await migrate(client, [withoutQuantity], [])).createdTables).toEqual([older.name]);
    expect(await migrate(client, [older], [])).toEqual({
      createdTables: [],
      addedColumns: [`${older.name}.quantity`],
      createdViews: [],
    });
    expect(await migrate(client, [older], [])).toEqual({
      createdTables: [],
      addedColumns: [],
      createdViews: [],
    });
    const [table] = await client.query<{ dedup: boolean; walEnabled: boolean; partitionBy: string }>(
      'SELECT dedup, walEnabled, partitionBy FROM tables() WHERE table_name = $1',
      [older.name],
    );
    expect(table).toEqual({ dedup: true, walEnabled: true, partitionBy: 'MONTH' });
  });

  it('writes 100k rows by ILP, counts them over PG wire, and a second write of the same rows doubles nothing', async () => {
    const table = uniqueTable(TABLES.samples);
    await migrate(client, [table], []);
    const start = 1_736_809_000_000_000;
    const rows: Row[] = Array.from({ length: 100_000 }, (_, index) => ({
      ts: epochUs(start + Math.floor(index / 10) * 1_000_000),
      tag: `plant1/coldmill/pltcm/stand${index % 10}/roll_force`,
      value: index * 0.5,
      quality: 'good',
      source: 'test',
      ingest_ts: epochUs(start),
    }));
    const expectedSum = rows.reduce((sum, row) => sum + (row.value as number), 0);
    for (let offset = 0; offset < rows.length; offset += 20_000)
      await writer.write(table, rows.slice(offset, offset + 20_000));
    await client.waitForWalApplied(table.name);
    expect(await client.count(table.name)).toBe(100_000);

    for (let offset = 0; offset < rows.length; offset += 20_000)
      await writer.write(table, rows.slice(offset, offset + 20_000));
    await client.waitForWalApplied(table.name);
    const [totals] = await client.query<{ count: string; total: number }>(
      `SELECT count() AS count, sum(value) AS total FROM ${table.name}`,
    );
    expect(Number(totals?.count)).toBe(100_000);
    expect(totals?.total).toBeCloseTo(expectedSum, 3);
  });

  it('returns timestamps with their microseconds', async () => {
    const table = uniqueTable(TABLES.samples);
    await migrate(client, [table], []);
    const ts = epochUs(1_736_809_000_123_456);
    await writer.write(table, [
      {
        ts,
        tag: 'plant1/coldmill/pltcm/stand1/roll_force',
        value: 1,
        ingest_ts: epochUs(1_736_809_000_999_999),
      },
    ]);
    await client.waitForWalApplied(table.name);
    const [row] = await client.query<{ ts: number; ingest_ts: number }>(
      `SELECT ts, ingest_ts FROM ${table.name}`,
    );
    expect(row).toEqual({ ts: 1_736_809_000_123_456, ingest_ts: 1_736_809_000_999_999 });
  });

  it('reports a refused write as not retriable and keeps the writer usable', async () => {
    const table = uniqueTable(TABLES.samples);
    await migrate(client, [table], []);
    const ts = epochUs(1_736_809_000_000_000);
    // `value` is a DOUBLE column; a string there is refused by QuestDB with a 400.
    const badSpec: TableSpec = {
      ...table,
      columns: table.columns.map((c) => (c.name === 'value' ? { ...c, type: 'VARCHAR' } : c)),
    };
    await expect(writer.write(badSpec, [{ ts, tag: 'plant1/a/b/c', value: 'oops' }])).rejects.toMatchObject({
      retriable: false,
    });
    await writer.write(table, [{ ts, tag: 'plant1/a/b/c', value: 2 }]);
    await client.waitForWalApplied(table.name);
    expect(await client.count(table.name)).toBe(1);
  });

  it('gives up on a query past the statement time-out with an error that says so, and stays usable', async () => {
    const impatient = new QueryClient({ pgUrl: inject('stack').questdbPgUrl, statementTimeoutMs: 5 });
    try {
      await expect(impatient.query('SELECT sum(x) FROM long_sequence(500000000)')).rejects.toThrow(
        /timeout/i,
      );
      expect(await client.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await impatient.end();
    }
  });

  it('reads binary columns equal to the text rows: doubles bit for bit, longs, timestamps, symbols, NULLs', async () => {
    const table = uniqueTable(TABLES.samples);
    await migrate(client, [table], []);
    const start = 1_736_809_000_000_000;
    const rows: Row[] = Array.from({ length: 30_000 }, (_, index) => ({
      ts: epochUs(start + index * 1_000_123),
      tag: `plant1/coldmill/pltcm/stand${index % 7}/roll_force`,
      // Values whose shortest text has 17 digits, negatives, tiny and huge ones, and a NULL every 1000th.
      ...(index % 1_000 === 999
        ? {}
        : { value: (index % 3 === 0 ? -1 : 1) * Math.PI * 10 ** ((index % 40) - 20) }),
      ...(index % 500 === 0 ? {} : { source: 'test' }),
      ingest_ts: epochUs(start),
    }));
    await writer.write(table, rows);
    await client.waitForWalApplied(table.name);
    const sql =
      `SELECT ts, tag, value, source, count() OVER () AS total FROM ${table.name} ` +
      'WHERE ts >= $1 ORDER BY ts';
    const text = await client.query<{ ts: number; tag: string; value: number | null; source: string | null }>(
      sql,
      ['2025-01-01T00:00:00Z'],
    );
    const binary = await client.columns(sql, ['2025-01-01T00:00:00Z']);
    expect(binary.names).toEqual(['ts', 'tag', 'value', 'source', 'total']);
    expect(binary.rowCount).toBe(30_000);
    const [ts, tag, value, source, total] = binary.values as [
      Float64Array,
      TextColumn,
      Float64Array,
      TextColumn,
      Float64Array,
    ];
    const textOf = (column: TextColumn, row: number) => {
      const code = column.codes[row]!;
      return code < 0 ? null : column.dictionary[code];
    };
    expect(tag.dictionary).toHaveLength(7);
    text.forEach((row, i) => {
      expect(ts[i]).toBe(row.ts);
      expect(textOf(tag, i)).toBe(row.tag);
      expect(Object.is(value[i], row.value ?? Number.NaN)).toBe(true);
      expect(textOf(source, i)).toBe(row.source);
    });
    expect(total[0]).toBe(30_000);
  });

  it('reports a bad statement on the binary path as not retriable, and the connection stays usable', async () => {
    await expect(client.columns('SELECT nope FROM long_sequence(1)')).rejects.toMatchObject({
      retriable: false,
    });
    const answer = await client.columns('SELECT x, x * 0.5 AS half FROM long_sequence(3)');
    expect(answer.values).toEqual([new Float64Array([1, 2, 3]), new Float64Array([0.5, 1, 1.5])]);
  });

  it('gives up on a binary query past the statement time-out, and the pool stays usable', async () => {
    const impatient = new QueryClient({
      pgUrl: inject('stack').questdbPgUrl,
      statementTimeoutMs: 5,
      maxConnections: 1,
    });
    try {
      await expect(impatient.columns('SELECT sum(x) FROM long_sequence(500000000)')).rejects.toThrow(
        /timeout/i,
      );
      const again = new QueryClient({ pgUrl: inject('stack').questdbPgUrl, maxConnections: 1 });
      expect((await again.columns('SELECT 1 AS one')).values).toEqual([new Float64Array([1])]);
      await again.end();
    } finally {
      await impatient.end();
    }
  });

  it('fails a binary query on a wrong password instead of hanging', async () => {
    const url = new URL(inject('stack').questdbPgUrl);
    url.password = 'not-the-password';
    const refused = new QueryClient({ pgUrl: url.toString(), statementTimeoutMs: 10_000 });
    try {
      await expect(refused.columns('SELECT 1 AS one')).rejects.toThrow(/query failed/);
    } finally {
      await refused.end();
    }
  });
});
