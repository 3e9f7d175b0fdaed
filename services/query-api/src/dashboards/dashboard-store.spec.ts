import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardSchema } from '@millrace/dashboards';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DashboardStore } from './dashboard-store.js';

const doc = (id: string, title = id) =>
  dashboardSchema.parse({
    schemaVersion: 1,
    id,
    title,
    panels: [
      { id: 'p', title: 'P', type: 'stat', grid: { x: 0, y: 0, w: 4, h: 4 }, query: { source: 'health' } },
    ],
  });

describe('DashboardStore', () => {
  let dir: string;
  let store: DashboardStore;
  let warnings: unknown[] = [];

  beforeEach(async () => {
    warnings = [];
    dir = await mkdtemp(join(tmpdir(), 'dashboards-'));
    const builtinDir = join(dir, 'builtin');
    await mkdir(builtinDir);
    await writeFile(join(builtinDir, 'plant.json'), JSON.stringify(doc('plant', 'Plant overview')));
    await writeFile(join(builtinDir, 'broken.json'), '{"schemaVersion": 1, "id": "Broken!"}');
    store = new DashboardStore(builtinDir, join(dir, 'user'), {
      warn: (...args: unknown[]) => warnings.push(args),
    } as never);
    await store.load();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('serves built-in dashboards read-only and leaves out a file that does not parse', async () => {
    expect((await store.list()).map((d) => [d.id, d.builtin])).toEqual([['plant', true]]);
    expect(warnings).toHaveLength(1);
    await expect(store.replace('plant', doc('plant'))).rejects.toThrow(/read-only/);
    await expect(store.remove('plant')).rejects.toThrow(/cannot be deleted/);
    await expect(store.create(doc('plant'))).rejects.toThrow(/built-in/);
  });

  it('creates, lists, searches, replaces and deletes a user dashboard, one file each, no temp left', async () => {
    const created = await store.create(doc('mine', 'Stand forces'));
    expect(created.builtin).toBe(false);
    await expect(store.create(doc('mine'))).rejects.toThrow(/exists/);
    expect((await store.list('forces')).map((d) => d.id)).toEqual(['mine']);
    await store.replace('mine', doc('mine', 'Renamed'));
    expect((await store.get('mine')).dashboard.title).toBe('Renamed');
    await expect(store.replace('mine', doc('other'))).rejects.toThrow(/is not "mine"/);
    expect(await readdir(join(dir, 'user'))).toEqual(['mine.json']);
    await store.remove('mine');
    await expect(store.get('mine')).rejects.toThrow(/no dashboard/);
  });

  it('serialises concurrent writes of one id', async () => {
    await store.create(doc('race'));
    await Promise.all(['a', 'b', 'c'].map((title) => store.replace('race', doc('race', title))));
    expect((await store.get('race')).dashboard.title).toBe('c');
  });
});
