import { loadConfig, queryApiConfigSchema } from '@millrace/config';
import type { QueryClient } from '@millrace/questdb';
import { epochMs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { TagCatalog } from './tag-catalog.js';

/** Answers the catalog's three statements with one tag and counts them. */
function countingClient() {
  const calls: string[] = [];
  const client = {
    query: (sql: string) => {
      calls.push(sql);
      if (sql.includes('LATEST ON ts PARTITION BY tag') && sql.includes('value_text'))
        return Promise.resolve([{ tag: 'a/b/c', ts: 1_000_000, value: 1, value_text: null, source: 'test' }]);
      return Promise.resolve([]);
    },
  };
  return { client: client as unknown as QueryClient, calls };
}

const config = loadConfig(queryApiConfigSchema, {
  env: { QUERY_API_CATALOG_TTL_MS: '2000', QUERY_API_LOOKUP_TTL_MS: '60000' },
});

describe('TagCatalog', () => {
  it('checks series tags against the cached catalog until the lookup TTL, and lists tags after the catalog TTL', async () => {
    const { client, calls } = countingClient();
    const catalog = new TagCatalog(client, config);
    expect((await catalog.lookup(['a/b/c'], epochMs(0))).unknown).toEqual([]);
    const afterLoad = calls.length;
    expect(afterLoad).toBe(3);
    await catalog.lookup(['a/b/c'], epochMs(30_000));
    expect(calls.length).toBe(afterLoad);
    await catalog.entries(epochMs(30_000));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.length).toBe(afterLoad + 3);
    await catalog.lookup(['a/b/c'], epochMs(100_000));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.length).toBe(afterLoad + 6);
  });
});
