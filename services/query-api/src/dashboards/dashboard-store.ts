import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  dashboardSchema,
  type Dashboard,
  type DashboardEnvelope,
  type DashboardSummary,
} from '@millrace/dashboards';
import { describeIssues } from '@millrace/schema';
import { ConflictException, ForbiddenException, NotFoundException } from '@nestjs/common';
import type { Observability } from '@millrace/observability';

/**
 * Dashboards on disk: built-in ones are read once from a folder in the repo and never written; users'
 * ones live as `<id>.json` under the data folder, written to a temporary name and renamed, so a crash
 * mid-write never leaves half a document. One process owns the folder; writes are serialised per id.
 */
export class DashboardStore {
  private builtin = new Map<string, Dashboard>();
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly builtinDir: string,
    private readonly userDir: string,
    private readonly logger: Pick<Observability['logger'], 'warn'>,
  ) {}

  /** Loads the built-in documents; a file that does not parse is logged and left out, the rest are served. */
  async load(): Promise<void> {
    await mkdir(this.userDir, { recursive: true });
    const builtin = new Map<string, Dashboard>();
    for (const name of await this.jsonFiles(this.builtinDir)) {
      const dashboard = await this.readFile(join(this.builtinDir, name));
      if (dashboard) builtin.set(dashboard.id, dashboard);
    }
    this.builtin = builtin;
  }

  async list(search?: string): Promise<DashboardSummary[]> {
    const needle = search?.trim().toLowerCase() ?? '';
    const summaries: DashboardSummary[] = [...this.builtin.values()].map((dashboard) =>
      summary(dashboard, true, null),
    );
    const users: DashboardSummary[] = [];
    for (const name of await this.jsonFiles(this.userDir)) {
      const path = join(this.userDir, name);
      const dashboard = await this.readFile(path);
      if (dashboard && !this.builtin.has(dashboard.id))
        users.push(summary(dashboard, false, (await stat(path)).mtime.toISOString()));
    }
    users.sort((a, b) => a.title.localeCompare(b.title));
    return [...summaries, ...users].filter(
      (entry) =>
        needle === '' ||
        [entry.title, entry.description, ...entry.tags].some((text) => text.toLowerCase().includes(needle)),
    );
  }

  async get(id: string): Promise<DashboardEnvelope> {
    const builtin = this.builtin.get(id);
    if (builtin) return { dashboard: builtin, builtin: true, updatedAt: null };
    const path = this.pathOf(id);
    const dashboard = await this.readFile(path, true);
    if (!dashboard || dashboard.id !== id) throw new NotFoundException(`no dashboard "${id}"`);
    return { dashboard, builtin: false, updatedAt: (await stat(path)).mtime.toISOString() };
  }

  create(dashboard: Dashboard): Promise<DashboardEnvelope> {
    return this.serialised(dashboard.id, async () => {
      this.refuseBuiltin(dashboard.id, 'exists as a built-in dashboard; choose another id');
      if (await exists(this.pathOf(dashboard.id)))
        throw new ConflictException(`dashboard "${dashboard.id}" exists; PUT to replace it`);
      return this.write(dashboard);
    });
  }

  replace(id: string, dashboard: Dashboard): Promise<DashboardEnvelope> {
    return this.serialised(id, async () => {
      this.refuseBuiltin(id, 'is built-in and read-only; save a copy under a new id');
      if (dashboard.id !== id) throw new ConflictException(`the body's id "${dashboard.id}" is not "${id}"`);
      if (!(await exists(this.pathOf(id)))) throw new NotFoundException(`no dashboard "${id}"`);
      return this.write(dashboard);
    });
  }

  remove(id: string): Promise<{ deleted: string }> {
    return this.serialised(id, async () => {
      this.refuseBuiltin(id, 'is built-in and cannot be deleted');
      if (!(await exists(this.pathOf(id)))) throw new NotFoundException(`no dashboard "${id}"`);
      await rm(this.pathOf(id));
      return { deleted: id };
    });
  }

  private refuseBuiltin(id: string, reason: string): void {
    if (this.builtin.has(id)) throw new ForbiddenException(`dashboard "${id}" ${reason}`);
  }

  private async write(dashboard: Dashboard): Promise<DashboardEnvelope> {
    const path = this.pathOf(dashboard.id);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(dashboard, null, 2)}\n`);
    await rename(temporary, path);
    return { dashboard, builtin: false, updatedAt: (await stat(path)).mtime.toISOString() };
  }

  private serialised<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.writing.get(id) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.writing.set(id, settled);
    void settled.then(() => {
      if (this.writing.get(id) === settled) this.writing.delete(id);
    });
    return next;
  }

  // The id is checked by dashboardIdSchema (a-z 0-9 -) before it gets here, so it cannot leave the folder.
  private pathOf(id: string): string {
    return join(this.userDir, `${id}.json`);
  }

  private async jsonFiles(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private async readFile(path: string, missingOk = false): Promise<Dashboard | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (missingOk && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      this.logger.warn({ path, err: error }, 'dashboard file is not JSON; left out');
      return undefined;
    }
    const parsed = dashboardSchema.safeParse(json);
    if (parsed.success) return parsed.data;
    this.logger.warn(
      { path, reason: describeIssues(parsed.error) },
      'dashboard file does not parse; left out',
    );
    return undefined;
  }
}

const summary = (dashboard: Dashboard, builtin: boolean, updatedAt: string | null): DashboardSummary => ({
  id: dashboard.id,
  title: dashboard.title,
  description: dashboard.description,
  tags: dashboard.tags,
  builtin,
  updatedAt,
});

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
