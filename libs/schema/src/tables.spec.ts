import { describe, expect, it } from 'vitest';
import {
  ALL_TABLES,
  ALL_VIEWS,
  TABLES,
  VIEWS,
  addColumnSql,
  createTableSql,
  createViewSql,
} from './tables.js';

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
    const quantity = TABLES.orders.columns.find((column) => column.name === 'quantity');
    expect(quantity && addColumnSql(TABLES.orders, quantity)).toBe(
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS quantity LONG',
    );
    expect(() => addColumnSql(TABLES.orders, { name: 'evil', type: 'LONG' })).toThrow(
      /not one of its columns/,
    );
  });

  it('refuses an unsafe identifier', () => {
    expect(() => createTableSql({ ...TABLES.samples, name: 'samples; drop table coils' })).toThrow(
      /not a safe identifier/,
    );
  });
});

describe('rollup views', () => {
  it('builds each tier on the next finer one, raw first', () => {
    expect(ALL_VIEWS.map((view) => [view.name, view.base])).toEqual([
      ['samples_1s', 'samples'],
      ['samples_1m', 'samples_1s'],
      ['samples_1h', 'samples_1m'],
    ]);
    expect(createViewSql(VIEWS.samples1m)).toBe(
      'CREATE MATERIALIZED VIEW IF NOT EXISTS samples_1m AS (SELECT ts, tag, min(min) AS min, max(max) AS max, ' +
        'first(first) AS first, last(last) AS last, sum(sum) AS sum, sum(count) AS count FROM samples_1s ' +
        'SAMPLE BY 1m) PARTITION BY MONTH',
    );
  });
});
