import {
  ALL_TABLES,
  ALL_VIEWS,
  addColumnSql,
  createTableSql,
  createViewSql,
  type MaterializedViewSpec,
  type TableSpec,
} from '@millrace/schema';
import type { QueryClient } from './query.js';

export interface MigrationResult {
  createdTables: string[];
  addedColumns: string[];
  createdViews: string[];
}

/**
 * Creates every missing table and adds the columns a newer release defines. Idempotent, and touches
 * nothing that is already right, so it runs at every start-up.
 */
export async function migrate(
  client: QueryClient,
  tables: readonly TableSpec[] = ALL_TABLES,
  views: readonly MaterializedViewSpec[] = ALL_VIEWS,
): Promise<MigrationResult> {
  const existing = new Set(
    (await client.query<{ table_name: string }>('SELECT table_name FROM tables()')).map(
      (row) => row.table_name,
    ),
  );
  const result: MigrationResult = { createdTables: [], addedColumns: [], createdViews: [] };
  for (const table of tables) {
    if (!existing.has(table.name)) {
      await client.query(createTableSql(table));
      result.createdTables.push(table.name);
      continue;
    }
    // ALTERs on a WAL table apply asynchronously: read the columns only once earlier changes are applied.
    await client.waitForWalApplied(table.name);
    // The name is a validated identifier from the schema lib; table functions take no bind parameters.
    const present = new Set(
      (await client.query<{ column: string }>(`SELECT "column" FROM table_columns('${table.name}')`)).map(
        (row) => row.column,
      ),
    );
    for (const column of table.columns.filter((candidate) => !present.has(candidate.name))) {
      await client.query(addColumnSql(table, column));
      result.addedColumns.push(`${table.name}.${column.name}`);
    }
  }
  const existingViews = new Set(
    (await client.query<{ view_name: string }>('SELECT view_name FROM materialized_views()')).map(
      (row) => row.view_name,
    ),
  );
  for (const view of views) {
    if (existingViews.has(view.name)) continue;
    await client.query(createViewSql(view));
    result.createdViews.push(view.name);
  }
  return result;
}
