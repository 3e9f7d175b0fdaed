import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  // A coil of this run in the coil files (segment and setup records), half an hour ago.
  const coil = `E2E${seed}C1`;
  const coilStart = Math.floor((now - 30 * 60_000) / 1000) * 1000;
  const coilEnd = coilStart + 3 * 60_000;
  const order = `E2E${seed}-O1`;
  // A stand-in MES bridge behind query-api's /api/mes/* proxy: orders, outbox, and commands it decides.
  let bridge: Server;
  const commandResults: {
    commandId: string;
    ts: number;
    machine: string;
    setpoint: string;
    result: string;
    detail: string;
  }[] = [];

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
    // The demo plant's tags the built-in dashboards show, as the simulator would have written them: a
    // fresh test stack has no plant running, and a panel rightly names a tag it cannot find. A stack
    // whose plant runs (a dev stack) keeps its own data.
    const live = await client.query<{ tag: string }>(
      `SELECT tag FROM ${TABLES.samples.name} WHERE ts >= dateadd('d', -1, now()) LATEST ON ts PARTITION BY tag`,
    );
    const running = new Set(live.map((row) => row.tag));
    const builtinDir = join(webDir, '..', 'libs', 'dashboards', 'builtin');
    const plantTags = new Set<string>();
    for (const file of await readdir(builtinDir))
      for (const [, tag] of (await readFile(join(builtinDir, file), 'utf8')).matchAll(
        /"(plant1\/[^"*#+]+)"/g,
      ))
        plantTags.add(tag!);
    for (const tag of [...plantTags].filter((tag) => !running.has(tag)))
      for (const ago of [90, 30]) {
        const text = /\/(status|coil_id)$/.test(tag);
        rows.push({
          ts: epochUs((now - ago * 1_000) * 1_000),
          tag,
          ...(text ? { value_text: tag.endsWith('coil_id') ? coil : 'operating' } : { value: ago }),
          source: 'e2e',
        });
      }
    await writer.write(TABLES.samples, rows);
    await writer.write(TABLES.coils, [
      {
        ts: epochUs(coilStart * 1000),
        coil_id: coil,
        line: 'pltcm',
        alloy_code: 'E2E',
        entry_width_mm: 1_100,
        entry_thickness_mm: 3.5,
        exit_thickness_mm: 1.2,
        weight_kg: 15_000,
        end_ts: epochUs(coilEnd * 1000),
      },
    ]);
    const mps = Array.from({ length: 11 }, (_, i) => `MP${String(i).padStart(2, '0')}`);
    await writer.write(
      TABLES.segmentData,
      [1, 2, 3].flatMap((segment) =>
        mps.map((mp, i) => ({
          ts: epochUs((coilStart + segment * 10_000) * 1000),
          coil_id: coil,
          line: 'pltcm',
          mp,
          segment,
          variable: 'LenSeg',
          value: 3 + i * 0.5 + segment / 100,
        })),
      ),
    );
    await writer.write(
      TABLES.setupData,
      [1, 2, 3, 4, 5].flatMap((stand) =>
        ['ThermalCrown_G1', 'ThermalCrown_G2', 'ThermalCrown_G3'].map((variable, g) => ({
          ts: epochUs(coilStart * 1000),
          coil_id: coil,
          line: 'pltcm',
          stand,
          variable,
          value: 20 + stand * 5 + g,
        })),
      ),
    );
    await writer.write(
      TABLES.orders,
      (['running', 'completed'] as const).map((state, i) => ({
        ts: epochUs((now - (50 - 10 * i) * 60_000) * 1000),
        order_id: order,
        line: 'line1',
        product: 'High Capacity Cell',
        quantity: 2000,
        state,
      })),
    );
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
    for (const table of [TABLES.coils, TABLES.segmentData, TABLES.setupData, TABLES.orders])
      await client.waitForWalApplied(table.name);

    bridge = createServer((request, response) => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      const url = new URL(request.url ?? '/', 'http://bridge');
      if (url.pathname === '/api/mes/orders')
        return send(200, {
          orders: [
            {
              orderId: order,
              line: 'line1',
              product: 'High Capacity Cell',
              quantity: 2000,
              state: 'completed',
              ts: (now - 40 * 60_000) * 1000,
              releasedAt: (now - 55 * 60_000) * 1000,
              startedAt: (now - 50 * 60_000) * 1000,
              endedAt: (now - 40 * 60_000) * 1000,
            },
          ],
        });
      if (url.pathname === '/api/mes/outbox')
        return send(200, {
          depth: 2,
          deadLetters: 1,
          delivering: { id: 'r-7', kind: 'result', attempts: 3, lastError: 'MES answered 503' },
          oldestDeadLetters: [{ id: 'r-1', kind: 'result', reason: 'MES answered 400' }],
        });
      if (url.pathname === '/api/mes/commands' && request.method === 'GET')
        return send(200, { audit: [], recentResults: commandResults });
      if (url.pathname === '/api/mes/commands' && request.method === 'POST') {
        if (!request.headers.authorization)
          return send(401, { statusCode: 401, message: 'a bearer token is required' });
        let text = '';
        request.on('data', (chunk: Buffer) => (text += chunk.toString()));
        request.on('end', () => {
          const body = JSON.parse(text) as { machine: string; setpoint: string; value: number };
          const commandId = randomUUID();
          const rejected = body.value > 1400;
          commandResults.unshift({
            commandId,
            ts: Date.now() * 1000,
            machine: body.machine,
            setpoint: body.setpoint,
            result: rejected ? 'rejected' : 'accepted',
            detail: rejected ? `value ${body.value} above max 1400` : 'written',
          });
          send(202, { commandId, status: 'queued' });
        });
        return;
      }
      send(404, { message: 'not found' });
    });
    await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
    for (const view of ALL_VIEWS) await client.waitForViewRefreshed(view.name);

    // Write routes need a token with a role; this run makes its own.
    process.env.AUTH_TOKENS = `e2e:admin:${hashToken(token)}`;
    process.env.AUTH_DEV_TOKENS = 'false';
    // The /api/mes/* proxy reads its settings from the process env, as query-api's auth does.
    process.env.QUERY_API_MES_BRIDGE_URL = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;
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
    await new Promise((resolve) => (bridge ? bridge.close(resolve) : resolve(undefined)));
    if (dashboardsDir) await rm(dashboardsDir, { recursive: true, force: true });
  });

  it('opens every built-in dashboard with its panels and no failed query', async () => {
    const list = (await (await fetch(`${base}/api/dashboards`)).json()) as {
      dashboards: { id: string; builtin: boolean }[];
    };
    const builtin = list.dashboards.filter((d) => d.builtin).map((d) => d.id);
    expect(builtin).toEqual(
      expect.arrayContaining(['pltcm', 'production', 'pipeline-health', 'battery-line', 'mes']),
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

  it('shows the segment lengths of a coil per MP and its setup per stand from the coil files', async () => {
    const page = await newPage();
    const range = `from=${coilStart - 60_000}&to=${coilEnd + 60_000}&var-coil=${coil}`;
    await page.goto(`${base}/d/pltcm?tab=Segment+data&${range}`);
    await settled(page);
    const table = page.locator('[data-panel=seg-table]');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    const headers = await table.locator('th').allTextContents();
    expect(headers).toEqual(expect.arrayContaining(['Segment', 'MP00', 'MP05', 'MP10']));
    const first = await table.locator('tbody tr').first().locator('td').allTextContents();
    expect(first[headers.indexOf('MP10')]).toBe('8.010');
    await expect.poll(() => page.locator('[data-panel=seg-lenseg] .lrow').count()).toBe(12); // header + 11 MPs
    expect(await page.locator('[data-panel=seg-lenseg] [data-testid=panel-note]').textContent()).toContain(
      coil,
    );

    await page.getByRole('tab', { name: 'Setup data' }).click();
    await settled(page);
    const setup = page.locator('[data-panel=setup-table]');
    await expect.poll(() => setup.locator('tbody tr').count()).toBe(5);
    expect(await setup.locator('tbody tr').nth(1).locator('td').allTextContents()).toEqual([
      '2',
      '30.00',
      '31.00',
      '32.00',
    ]);
    const bars = page.locator('[data-panel=setup-stands] [data-testid=bar]');
    await expect.poll(() => bars.count()).toBe(15); // 5 stands × G1..G3 (G4, G5 not in this coil)
    await page.getByTestId('var-setup').getByLabel('ThermalCrown_G1').uncheck();
    await page.waitForURL((url) => !url.searchParams.getAll('var-setup').includes('ThermalCrown_G1'));
    await expect.poll(() => bars.count()).toBe(10);
    expect(await page.locator('article.panel [role=alert]').count()).toBe(0);

    // Coil ID tracking: a click on the coil makes its span the range, and the series ask by coil.
    await page.getByRole('tab', { name: 'Coil ID tracking' }).click();
    await settled(page);
    await page.locator('[data-panel=track-coils] tbody tr', { hasText: coil }).click();
    await page.waitForURL(new RegExp(`from=${coilStart}&to=${coilEnd}`));
    await settled(page);
    await expect
      .poll(() => page.locator('[data-panel=track-force] [data-testid=production-badge]').textContent())
      .toBe(`coil ${coil}`);
    await page.close();
    expect(browserErrors).toEqual([]);
  });

  it('MES: order book, outbox, a command and its rejection; a click on an order shows its run', async () => {
    const page = await newPage();
    await page.goto(`${base}/d/mes`);
    await settled(page);
    await expect.poll(() => page.locator('[data-panel=mes-orders] tbody').textContent()).toContain(order);
    const outbox = (await page.locator('[data-panel=mes-outbox] tbody').textContent()) ?? '';
    expect(outbox).toContain('Dead letters');
    expect(outbox).toContain('MES answered 503');

    await page.getByTestId('command-value').fill('1500');
    await page.getByTestId('command-reason').fill(`e2e ${seed}`);
    await page.getByTestId('command-send').click();
    await expect
      .poll(() => page.getByTestId('command-status').textContent(), { timeout: 15_000 })
      .toContain('Rejected: value 1500 above max 1400');
    await expect
      .poll(() => page.locator('[data-panel=mes-commands] tbody').textContent())
      .toContain('rejected');

    // The order's run: the range becomes running → completed, series ask by order.
    await page.locator('[data-panel=mes-orders] tbody tr', { hasText: order }).click();
    await page.waitForURL(new RegExp(`var-order=${order}`));
    const url = new URL(page.url()).searchParams;
    expect(Number(url.get('from'))).toBe(now - 50 * 60_000);
    expect(Number(url.get('to')) - Number(url.get('from'))).toBe(10 * 60_000);
    await settled(page);
    await expect
      .poll(() => page.getByTestId('production-badge').first().textContent())
      .toContain(`order ${order}`);
    expect(await page.getByTestId('selected-order').textContent()).toContain(order);
    await page.close();

    // Without a token the bridge's 401 is shown as such.
    const anonymous = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await anonymous.goto(`${base}/d/mes`);
    await anonymous.getByTestId('command-value').fill('1000');
    await anonymous.getByTestId('command-reason').fill('no token');
    await anonymous.getByTestId('command-send').click();
    await expect
      .poll(() => anonymous.getByTestId('command-status').textContent())
      .toContain('Not signed in (401)');
    await anonymous.close();
    expect(browserErrors).toEqual([]);
  });
});
