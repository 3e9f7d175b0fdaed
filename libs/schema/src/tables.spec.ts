import { describe, expect, it } from 'vitest';
import { ALL_TABLES, TABLES, addColumnSql, createTableSql } from './tables.js';

describe('table definitions', () => {
  it('renders an idempotent WAL table with dedup keys', () => {
    expect(createTableSql(TABLES.samples)).toBe(
      'CREATE TABLE IF NOT EXISTS samples (ts TIMESTAMP, tag SYMBOL, value DOUBLE, value_text VARCHAR, ' +
        'quality SYMBOL, source SYMBOL, ingest_ts TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY WAL ' +
        'DEDUP UPSERT KEYS(ts, tag)',
    );
  });

  it('keeps every table deduplicated on its timestamp and uniquely named', () => {
    const names = ALL_TABLES.map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
    for (const spec of ALL_TABLES) {
      expect(spec.dedupKeys).toContain('ts');
      expect(createTableSql(spec)).toContain(' WAL DEDUP UPSERT KEYS(');
    }
  });

  it('adds a missing column of the table, and only its own', () => {
    const count = TABLES.samples1m.columns.find((column) => column.name === 'count');
    expect(count && addColumnSql(TABLES.samples1m, count)).toBe(
      'ALTER TABLE samples_1m ADD COLUMN IF NOT EXISTS count LONG',
    );
    expect(() => addColumnSql(TABLES.samples1m, { name: 'evil', type: 'LONG' })).toThrow(
      /not one of its columns/,
    );
  });

  it('refuses an unsafe identifier', () => {
    expect(() => createTableSql({ ...TABLES.samples, name: 'samples; drop table coils' })).toThrow(
      /not a safe identifier/,
    );
  });
});
