import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateToken, hashToken } from '@millrace/auth';
import { loadConfig, queryApiConfigSchema } from '@millrace/config';
import { createKafka, PipelineProducer } from '@millrace/kafka';
import { Observability, ObservabilityModule } from '@millrace/observability';
import { IlpWriter, QueryClient, type Row } from '@millrace/questdb';
import { ALL_VIEWS, TABLES, TOPICS } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { QueryApiModule } from '../../services/query-api/src/query-api.module.js';

const webDir = fileURLToPath(new URL('..', import.meta.url));
const S = 1_000_000;

/**
 * The web app in real Chromium against a query-api started here on the test stack: data written by ILP
 * (history) and produced to Kafka (live), a private dashboards folder, a token made for this run.
 */
describe('web app end to end', () => {
  const stack = inject('stack');
  const seed = Math.floor(Math.random() * 2 ** 31);
  const prefix = `plant1/e2e${seed}/line/cell`;
  const tagA = `${prefix}/force`;
  const tagB = `${prefix}/speed`;
  const token = generateToken();
  const now = Date.now();
  let dashboardsDir: string;
  let app: NestFastifyApplication;
  let base: string;
  let browser: Browser;
  let writer: IlpWriter;
  let client: QueryClient;
  let producer: PipelineProducer;
  const browserErrors: string[] = [];

  const newPage = async (): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    await page.addInitScript((t) => localStorage.setItem('millrace.token', t), token);
    page.on('pageerror', (error) => browserErrors.push(error.message));
    return page;
  };
  const settled = (page: Page) =>
    page.waitForFunction(
      () =>
        !document.querySelector('[data-testid=loading]') &&
        !/Loading/.test(document.querySelector('main')?.textContent ?? ''),
      null,
      { timeout: 30_000 },
    );

  beforeAll(async () => {
    if (!existsSync(join(webDir, 'dist', 'index.html')))
      execFileSync('npx', ['vite', 'build'], { cwd: webDir, stdio: 'ignore' });
    dashboardsDir = await mkdtemp(join(tmpdir(), 'millrace-web-e2e-'));

    // Two hours of 1 Hz history up to now, for two tags this test alone writes.
    client = new QueryClient({ pgUrl: stack.questdbPgUrl });
    writer = await IlpWriter.connect({ httpUrl: stack.questdbUrl });
    const rows: Row[] = [];
    for (let t = (now - 2 * 3_600_000) * 1000; t < now * 1000 - 5 * S; t += S) {
      rows.push({ ts: epochUs(t), tag: tagA, value: 100 + Math.sin(t / 60e6) * 10, source: 'e2e' });
      rows.push({ ts: epochUs(t), tag: tagB, value: 50 + Math.cos(t / 90e6) * 5, source: 'e2e' });
    }
    await writer.write(TABLES.samples, rows);
    await writer.write(
      TABLES.tags,
      [tagA, tagB].map((tag) => ({
        ts: epochUs((now - 3 * 3_600_000) * 1000),
        tag,
        source: 'e2e',
        value_type: 'number',
        unit: 'kN',
        description: `e2e ${seed}`,
        expected_period_ms: 1_000,
      })),
    );
    await client.waitForWalApplied(TABLES.samples.name);
    await client.waitForWalApplied(TABLES.tags.name);
    for (const view of ALL_VIEWS) await client.waitForViewRefreshed(view.name);

    // Write routes need a token with a role; this run makes its own.
    process.env.AUTH_TOKENS = `e2e:admin:${hashToken(token)}`;
    process.env.AUTH_DEV_TOKENS = 'false';
    const config = loadConfig(queryApiConfigSchema, {
      env: {
        MILLRACE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        MILLRACE_QUESTDB_URL: stack.questdbUrl,
        MILLRACE_QUESTDB_PG_URL: stack.questdbPgUrl,
        MILLRACE_PLANT_TZ: 'Europe/Berlin',
        QUERY_API_CATALOG_TTL_MS: '0',
        QUERY_API_DASHBOARDS_DIR: dashboardsDir,
      },
    });
    const observability = new Observability('query-api-web-e2e', { logLevel: 'silent' });
    @Module({
      imports: [ObservabilityModule.forService(observability), QueryApiModule.forRoot(config, observability)],
    })
    class TestModule {}
    app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    base = base.replace('[::1]', '127.0.0.1');

    producer = new PipelineProducer(
      createKafka({ brokers: stack.kafkaBrokers, clientId: `web-e2e-${seed}`, logger: observability.logger }),
      'web-e2e',
    );
    await producer.connect();
    browser = await chromium.launch({
      executablePath: process.env.MILLRACE_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await producer?.disconnect();
    await app?.close();
    await writer?.close();
    await client?.end();
    if (dashboardsDir) await rm(dashboardsDir, { recursive: true, force: true });
  });

  it('opens every built-in dashboard with its panels and no failed query', async () => {
    const list = (await (await fetch(`${base}/api/dashboards`)).json()) as {
      dashboards: { id: string; builtin: boolean }[];
    };
    const builtin = list.dashboards.filter((d) => d.builtin).map((d) => d.id);
    expect(builtin).toEqual(
      expect.arrayContaining(['pltcm', 'production', 'pipeline-health', 'battery-line']),
    );
    const page = await newPage();
    for (const id of builtin) {
      await page.goto(`${base}/d/${id}`);
      await settled(page);
      expect(await page.locator('article.panel').count(), id).toBeGreaterThan(0);
      const alerts = await page.locator('article.panel [role=alert]').allTextContents();
      expect(alerts, `${id}: ${alerts.join(' | ')}`).toEqual([]);
      await expect
        .poll(() => page.locator('[data-testid=last-updated]').textContent())
        .toContain('Data last updated at');
    }
    // Every PLTCM monitor is a tab that opens.
    await page.goto(`${base}/d/pltcm`);
    for (const tab of [
      'Segment data',
      'Measurement data',
      'Strip tracking',
      'Process data',
      'Setup data',
      'Exit area',
      'Coil ID tracking',
    ]) {
      await page.getByRole('tab', { name: tab }).click();
      await settled(page);
      expect(page.url()).toContain(`tab=${tab.replaceAll(' ', '+')}`);
      expect(await page.locator('article.panel [role=alert]').count(), tab).toBe(0);
    }
    // Back and forward walk the tabs.
    await page.goBack();
    expect(page.url()).toContain('tab=Exit+area');
    await page.goForward();
    expect(page.url()).toContain('tab=Coil+ID+tracking');
    await page.close();
    expect(browserErrors).toEqual([]);
  });

  it('creates, saves and reloads a dashboard; changes the range; drag-zooms; exports CSV; goes live', async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: '+ New dashboard' }).first().click();
    await page.getByLabel('Dashboard title').fill(`E2E ${seed}`);
    await page.getByLabel('Dashboard id').fill(`e2e-${seed}`);
    await page.getByRole('button', { name: '+ Panel' }).click();
    await page.getByTestId('panel-title').fill('Force and speed');
    await page.getByTestId('tag-search').fill(`e2e${seed}`);
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('button', { name: 'Select all shown' }).click();
    await page.getByTestId('panel-apply').click();
    await page.getByTestId('save').click();
    await page.waitForURL(`**/d/e2e-${seed}**`);
    await page.reload();
    await settled(page);
    await expect.poll(() => page.locator('h1').textContent()).toBe(`E2E ${seed}`);
    const panel = page.locator('article.panel').first();
    await expect.poll(() => panel.locator('.lrow').count()).toBe(3); // header + two tags
    const saved = (await (await fetch(`${base}/api/dashboards/e2e-${seed}`)).json()) as {
      dashboard: { panels: { query: { tags: string[] } }[] };
    };
    expect(saved.dashboard.panels[0]!.query.tags.sort()).toEqual([tagB, tagA].sort());

    // Range: a quick range from the picker goes into the URL.
    const quick = async (name: string, url: RegExp) => {
      await page.getByTestId('time-picker').click();
      await page.getByRole('dialog', { name: 'Time range' }).getByRole('button', { name }).click();
      await page.waitForURL(url);
      await settled(page);
    };
    await quick('Last 6 hours', /from=now-6h/);
    await quick('Last 1 hour', /from=now-1h/);

    // Drag-zoom: an absolute, shorter range; Ctrl+Z goes back.
    const over = panel.locator('.u-over');
    // The plot settles its size after the legend and the data came: measure once it stopped moving.
    let box = (await over.boundingBox())!;
    for (let previous = ''; JSON.stringify(box) !== previous;) {
      previous = JSON.stringify(box);
      await page.waitForTimeout(300);
      box = (await over.boundingBox())!;
    }
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.waitForURL(/from=\d+&to=\d+/);
    const zoomed = new URL(page.url()).searchParams;
    const span = Number(zoomed.get('to')) - Number(zoomed.get('from'));
    expect(span).toBeGreaterThan(10 * 60_000);
    expect(span).toBeLessThan(30 * 60_000);
    await settled(page);
    await page.keyboard.press('Control+z');
    await page.waitForURL(/from=now-1h/);
    await settled(page);

    // CSV of what the panel shows: a header and one row per drawn point.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByRole('button', { name: '⇩ CSV' }).click(),
    ]);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]!.split(',')[0]).toBe('time');
    expect(lines[0]!.split(',').slice(1).sort()).toEqual([tagA, tagB].sort());
    expect(lines.length).toBeGreaterThan(100);
    const [whole] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download-all').click(),
    ]);
    const long = (await readFile((await whole.path())!, 'utf8')).trimEnd().split('\r\n');
    expect(long[0]).toBe('time,tag,value');
    expect(long.length).toBeGreaterThan(lines.length);

    // Live: samples produced now reach the chart without a new history request.
    let seriesRequests = 0;
    page.on('request', (request) => {
      if (request.url().includes('/api/series')) seriesRequests += 1;
    });
    await page.getByTestId('live-toggle').click();
    await page.waitForURL(/live=1/);
    await expect
      .poll(() => page.getByTestId('live-status').textContent(), { timeout: 20_000 })
      .toContain('live');
    const marker = 7_000 + (seed % 1000);
    const stop = Date.now() + 60_000;
    let seen = false;
    for (let i = 0; !seen && Date.now() < stop; i += 1) {
      const ts = Date.now() * 1000;
      await producer.send(TOPICS.samples, [
        {
          key: tagA,
          value: {
            tag: tagA as never,
            source: 'e2e',
            ingestTs: epochUs(ts),
            ts: [epochUs(ts)],
            values: [marker + i],
          },
        },
      ]);
      await page.waitForTimeout(500);
      const legend = await panel.locator('.legend').textContent();
      seen = /7,\d{3}/.test(legend ?? '');
    }
    expect(seen).toBe(true);
    expect(seriesRequests).toBe(0);

    // Leaving the dashboard and coming back shows the cached answer: no new history request.
    await page.getByTestId('live-toggle').click();
    await page.waitForURL((url) => !url.search.includes('live=1'));
    await settled(page);
    seriesRequests = 0;
    await page.locator('a.brand').click();
    await page.waitForURL(`${base}/`);
    await page.goBack();
    await page.waitForURL(/\/d\/e2e-/);
    await settled(page);
    await expect.poll(() => panel.locator('.lrow').count()).toBe(3);
    expect(seriesRequests).toBe(0);
    await page.close();
    expect(browserErrors).toEqual([]);
  });
});
