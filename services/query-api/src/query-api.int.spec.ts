import { decodeSeriesBinary, SERIES_BINARY_TYPE } from '@millrace/dashboards';
import { loadConfig, queryApiConfigSchema } from '@millrace/config';
import { m4OnGrid, planM4 } from '@millrace/downsample';
import { Observability, ObservabilityModule } from '@millrace/observability';
import { IlpWriter, QueryClient, type Row } from '@millrace/questdb';
import { ALL_TABLES, ALL_VIEWS, TABLES } from '@millrace/schema';
import { epochUs, usToIso, type EpochUs } from '@millrace/time';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { QueryApiModule } from './query-api.module.js';
import { TIERS } from './series/series.sql.js';
import { seededRandom } from '@millrace/plant-sim';

const S = 1_000_000;
const H = 3_600 * S;

const iso = (us: number) => new Date(us / 1_000).toISOString();

describe('query-api against the real stack', () => {
  const stack = inject('stack');
  const seed = Math.floor(Math.random() * 2 ** 31);
  const id = `qapi${seed}`;
  const prefix = `plant1/${id}/line`;
  const dense = `${prefix}/cell/dense`;
  const stale = `${prefix}/cell/stale`;
  const dst = `${prefix}/cell/dst`;
  // A random day in 2024 for the dense tag: nobody else writes these tags, so results are exact.
  const random = seededRandom(seed);
  const day = Date.UTC(2024, Math.floor(random() * 12), 1 + Math.floor(random() * 27)) * 1_000;
  const denseStart = day + 2 * H;
  const holeFrom = denseStart + 50 * 60 * S; // a 10 min silence in a 1 Hz tag
  const holeTo = holeFrom + 10 * 60 * S;
  const denseEnd = denseStart + 2 * H;
  const denseRaw: { times: EpochUs[]; values: number[] } = { times: [], values: [] };
  const staleAt = day - 3 * 24 * H;
  let client: QueryClient;
  let writer: IlpWriter;
  let app: NestFastifyApplication;

  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url });
    const csv = response.headers['content-type']?.toString().startsWith('text/csv') ?? false;
    return {
      status: response.statusCode,
      // An export answers CSV: its rows (after the header) stand in for `rows`.
      body: (csv ? { rows: response.body.trimEnd().split('\n').slice(1) } : response.json()) as Record<
        string,
        unknown
      > & { message?: string },
    };
  };
  const series = async (params: string) => {
    const { status, body } = await get(`/api/series?${params}`);
    expect(status, JSON.stringify(body)).toBe(200);
    return body as unknown as {
      tier: string;
      bucketMs: number;
      rowsScanned: number;
      series: {
        tag: string;
        times: number[];
        min: (number | null)[];
        max: (number | null)[];
        last: (number | null)[];
        values?: (number | null)[];
      }[];
    };
  };

  beforeAll(async () => {
    client = new QueryClient({ pgUrl: stack.questdbPgUrl });
    writer = await IlpWriter.connect({ httpUrl: stack.questdbUrl });

    const rows: Row[] = [];
    let level = 100;
    for (let t = denseStart; t < denseEnd; t += S) {
      if (t >= holeFrom && t < holeTo) continue;
      // Jitter within the second, a random walk, and rare single-sample spikes.
      const ts = epochUs(t + Math.floor(random() * 900_000));
      level += random() - 0.5;
      const value = random() < 0.003 ? level + 500 * (random() - 0.5) : level;
      rows.push({ ts, tag: dense, value, source: 'test' });
      denseRaw.times.push(ts);
      denseRaw.values.push(value);
    }
    rows.push({ ts: epochUs(staleAt), tag: stale, value: 42, source: 'test' });
    // Every 10 min over both 2026 DST changes in Europe/Berlin.
    for (const [from, to] of [
      [Date.UTC(2026, 2, 27, 12), Date.UTC(2026, 2, 31)],
      [Date.UTC(2026, 9, 23, 12), Date.UTC(2026, 9, 28)],
    ] as const) {
      for (let t = from * 1_000; t < to * 1_000; t += 600 * S)
        rows.push({ ts: epochUs(t), tag: dst, value: 1, source: 'test' });
    }
    for (let offset = 0; offset < rows.length; offset += 20_000)
      await writer.write(TABLES.samples, rows.slice(offset, offset + 20_000));
    await writer.write(TABLES.tags, [
      {
        ts: epochUs(day),
        tag: dense,
        source: 'test',
        value_type: 'number',
        unit: 'kN',
        description: `dense ${id}`,
        expected_period_ms: 1_000,
      },
    ]);
    const alloy = `QA${seed}`;
    await writer.write(
      TABLES.coils,
      [0.5, 0.7, 0.9].map((thickness, i) => ({
        ts: epochUs(day + i * 600 * S),
        coil_id: `${id}-coil${i}`,
        line: 'pltcm',
        alloy_code: i < 2 ? alloy : `${alloy}b`,
        entry_width_mm: 1_000 + 100 * i,
        entry_thickness_mm: 2,
        exit_thickness_mm: thickness,
        weight_kg: 10_000 + 1_000 * i,
        end_ts: epochUs(day + i * 600 * S + 180 * S),
      })),
    );
    await writer.write(TABLES.inspections, [
      {
        ts: epochUs(day),
        cell_id: `${id}-cell1`,
        order_id: id,
        line: 'line1',
        stage: 'IPQC',
        station: 'S1',
        verdict: 'pass',
        weight_g: 70,
      },
      {
        ts: epochUs(day + S),
        cell_id: `${id}-cell2`,
        order_id: id,
        line: 'line1',
        stage: 'FQC',
        station: 'S2',
        verdict: 'fail',
        ocv_v: 3.6,
      },
    ]);
    await writer.write(TABLES.orders, [
      { ts: epochUs(day), order_id: id, line: 'line1', product: 'cell', quantity: 100, state: 'released' },
      ...(['released', 'running', 'completed'] as const).map((state, i) => ({
        ts: epochUs(denseStart + i * 30 * 60 * S),
        order_id: `${id}-run`,
        line: 'line1',
        product: 'cell',
        quantity: 10,
        state,
      })),
    ]);
    await writer.write(TABLES.segmentData, [
      ...['MP03', 'MP04'].flatMap((mp) =>
        [1, 2, 3].map((segment) => ({
          ts: epochUs(day + 600 * S + segment * S),
          coil_id: `${id}-coil1`,
          line: 'pltcm',
          mp,
          segment,
          variable: 'LenSeg',
          value: 10 * segment,
        })),
      ),
    ]);
    await writer.write(TABLES.setupData, [
      {
        ts: epochUs(day + 600 * S),
        coil_id: `${id}-coil1`,
        line: 'pltcm',
        stand: 2,
        variable: 'ThermalCrown_G1',
        value: 12.5,
      },
      {
        ts: epochUs(day + 600 * S),
        coil_id: `${id}-coil1`,
        line: 'pltcm',
        stand: 3,
        variable: 'ThermalCrown_G1',
        value: 13.5,
      },
    ]);
    for (const table of [
      TABLES.samples,
      TABLES.tags,
      TABLES.coils,
      TABLES.inspections,
      TABLES.orders,
      TABLES.segmentData,
      TABLES.setupData,
    ])
      await client.waitForWalApplied(table.name);
    for (const view of ALL_VIEWS) await client.waitForViewRefreshed(view.name);

    const config = loadConfig(queryApiConfigSchema, {
      env: {
        MILLRACE_QUESTDB_URL: stack.questdbUrl,
        MILLRACE_QUESTDB_PG_URL: stack.questdbPgUrl,
        MILLRACE_PLANT_TZ: 'Europe/Berlin',
        QUERY_API_CATALOG_TTL_MS: '0',
        QUERY_API_LOOKUP_TTL_MS: '0',
      },
    });
    const observability = new Observability('query-api-test', { logLevel: 'silent' });
    @Module({
      imports: [ObservabilityModule.forService(observability), QueryApiModule.forRoot(config, observability)],
    })
    class TestModule {}
    app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), {
      logger: false,
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await writer?.close();
    await client?.end();
  });

  it('lists the tags with unit, expected period, span and last value; filters by prefix and search', async () => {
    const { status, body } = await get(`/api/tags?prefix=${encodeURIComponent(prefix)}`);
    expect(status).toBe(200);
    const tags = body.tags as {
      path: string;
      unit: string | null;
      expectedPeriodMs: number | null;
      lastValue: number | null;
      lastTs: string | null;
      firstTs: string | null;
    }[];
    expect(tags.map((tag) => tag.path).sort()).toEqual([dense, dst, stale].sort());
    const denseEntry = tags.find((tag) => tag.path === dense)!;
    expect(denseEntry).toMatchObject({
      unit: 'kN',
      expectedPeriodMs: 1_000,
      lastValue: denseRaw.values.at(-1),
    });
    expect(Date.parse(denseEntry.firstTs!)).toBeLessThanOrEqual(denseRaw.times[0]! / 1_000);
    const found = await get(`/api/tags?search=${encodeURIComponent(`DENSE ${id}`)}`);
    expect((found.body.tags as { path: string }[]).map((tag) => tag.path)).toEqual([dense]);
  });

  for (const [width, windowUs, tier] of [
    [60, 2 * H, '1m'],
    [1_000, 2 * H, '1m'], // the 1s tier would read 7,200 rows, more than 4 × width
    [2_000, 2 * H, '1s'],
    [1_000, 10 * 60 * S, 'raw'],
  ] as const) {
    it(`${width} px over ${windowUs / S} s reads ${tier}; M4 per column equals M4 over raw`, async () => {
      const from = denseStart;
      const to = from + windowUs;
      const answer = await series(`tag=${dense}&from=${iso(from)}&to=${iso(to)}&width=${width}`);
      expect(answer.tier).toBe(tier);
      const plan = planM4(from, to, width, TIERS);
      expect(plan.tier.name).toBe(tier);
      const end = plan.originUs + plan.columns * plan.pixelUs;
      const expected = m4OnGrid(denseRaw.times, denseRaw.values, plan.originUs, end, plan);
      const frame = answer.series[0]!;
      // The frame also holds the edge samples (outside [origin, end)) and null breaks: compare the columns.
      const inside = frame.times
        .map((t, i) => ({ t: t * S, i }))
        .filter(({ t, i }) => t >= plan.originUs && t < end && frame.last[i] !== null);
      const columns = inside.filter(({ t }) => (t - plan.originUs) % plan.pixelUs === 0);
      expect(columns.map(({ t }) => t)).toEqual([...expected.times]);
      expect(columns.map(({ i }) => frame.min[i])).toEqual([...expected.min]);
      expect(columns.map(({ i }) => frame.max[i])).toEqual([...expected.max]);
      expect(columns.map(({ i }) => frame.last[i])).toEqual([...expected.last]);
      expect(answer.rowsScanned).toBeGreaterThan(0);
      if (tier === 'raw')
        expect(answer.rowsScanned).toBeGreaterThanOrEqual(expected.count.reduce((a, b) => a + b, 0));
    });
  }

  it('draws the 10 min silence of a 1 s tag as one break, and brings the edge samples', async () => {
    const from = denseStart + 30 * 60 * S;
    const to = denseStart + 90 * 60 * S;
    const frame = (await series(`tag=${dense}&from=${iso(from)}&to=${iso(to)}&width=120`)).series[0]!;
    const breaks = frame.times.filter((_, i) => frame.last[i] === null);
    expect(breaks).toHaveLength(1);
    expect(breaks[0]! * S).toBeGreaterThan(holeFrom - 60 * S);
    expect(breaks[0]! * S).toBeLessThan(holeTo + 60 * S);
    expect(frame.times[0]! * S).toBeLessThan(from);
    expect(frame.times.at(-1)! * S).toBeGreaterThanOrEqual(to);
  });

  it('answers the same series as float64 columns when asked for the binary type, gaps as nulls', async () => {
    const url = `/api/series?tag=${dense}&tag=${stale}&from=${iso(denseStart)}&to=${iso(denseEnd)}&width=300`;
    const json = await get(url);
    const binary = await app.inject({ method: 'GET', url, headers: { accept: SERIES_BINARY_TYPE } });
    expect(binary.statusCode).toBe(200);
    expect(binary.headers['content-type']).toBe(SERIES_BINARY_TYPE);
    const bytes = binary.rawPayload;
    const decoded = decodeSeriesBinary(new Uint8Array(bytes).buffer); // a copy in its own ArrayBuffer, as fetch gives
    expect(decoded).toEqual(json.body);
    expect((json.body.series as { last: unknown[] }[])[0]!.last).toContain(null);
    expect(bytes.length).toBeLessThan(JSON.stringify(json.body).length);
  });

  it('draws a tag that last changed three days before the window flat across it', async () => {
    const from = day;
    const to = day + H;
    const frame = (await series(`tag=${stale}&from=${iso(from)}&to=${iso(to)}&width=500`)).series[0]!;
    expect(frame.times).toEqual([staleAt / S, to / S]);
    expect(frame.last).toEqual([42, 42]);
  });

  it('buckets interval=1d on Berlin days: 23 h on 2026-03-29 and 25 h on 2026-10-25', async () => {
    const spring = await series(`tag=${dst}&from=2026-03-28&to=2026-03-31&agg=count&interval=1d`);
    expect(spring.tier).toBe('1h');
    expect(spring.series[0]!.times.map((t) => new Date(t * 1_000).toISOString())).toEqual([
      '2026-03-27T23:00:00.000Z',
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
    ]);
    expect(spring.series[0]!.values!).toEqual([144, 138, 144]);
    const autumn = await series(`tag=${dst}&from=2026-10-24&to=2026-10-27&agg=count&interval=1d`);
    expect(autumn.series[0]!.values!).toEqual([144, 150, 144]);
    const avg = await series(`tag=${dst}&from=2026-10-24&to=2026-10-27&agg=avg&interval=1h`);
    expect(avg.series[0]!.values!.every((value) => value === 1)).toBe(true);
    expect(avg.series[0]!.values!).toHaveLength(24 + 25 + 24); // the repeated hour is its own bucket
  });

  it('answers 400 with the reason for bad parameters', async () => {
    const cases: [string, RegExp][] = [
      [`tag=${dense}&from=now&to=now-1h&width=10`, /must be before to/],
      [`tag=${prefix}/cell/nosuch&width=10`, /unknown tag/],
      [`tag=${dense}&width=0`, /width/],
      [`tag=${dense}&from=now-7d&width=10&tier=raw`, /range too large for raw/],
      [`tag=${dense}&agg=avg&interval=1w`, /interval/],
      [`tag=${dense}&agg=avg`, /agg and interval go together/],
      [`tag=${dense}&from=now-10y&agg=avg&interval=1s`, /buckets/],
      [`tag=${dense}`, /width is required/],
      [`tag=${dense}&width=10&from=yesterday`, /^from: /],
      [`width=10`, /tag/],
    ];
    for (const [params, reason] of cases) {
      const { status, body } = await get(`/api/series?${params}`);
      expect(status, params).toBe(400);
      expect(body.message, params).toMatch(reason);
    }
  });

  it('filters a series by order, coil or cell: the range becomes its time in production', async () => {
    const byOrder = await series(`tag=${dense}&order=${id}-run&width=100`);
    expect(byOrder).toMatchObject({
      from: { iso: usToIso(epochUs(denseStart + 30 * 60 * S)) },
      to: { iso: usToIso(epochUs(denseStart + 60 * 60 * S)) },
      production: { kind: 'order', id: `${id}-run` },
    });
    expect(byOrder.series[0]!.times.length).toBeGreaterThan(10);
    const byCoil = await series(`tag=${dense}&coil=${id}-coil1&width=100`);
    expect(byCoil).toMatchObject({
      from: { iso: usToIso(epochUs(day + 600 * S)) },
      to: { iso: usToIso(epochUs(day + 780 * S)) },
    });
    const byCell = await series(`tag=${dense}&cell=${id}-cell2&width=100`);
    expect(byCell).toMatchObject({
      from: { iso: usToIso(epochUs(day + S - 60 * S)) },
      to: { iso: usToIso(epochUs(day + S + 1_000)) },
    });
    for (const [params, reason] of [
      [`order=${id}-nope`, /unknown order/],
      [`order=${id}`, /has not run yet/],
      [`order=${id}-run&coil=${id}-coil1`, /one of order, coil or cell/],
    ] as const) {
      const refused = await get(`/api/series?tag=${dense}&width=100&${params}`);
      expect(refused.status).toBe(400);
      expect(refused.body.message).toMatch(reason);
    }
  });

  it('reads coils, production summaries, inspections and orders', async () => {
    const range = `from=${iso(day - H)}&to=${iso(day + H)}`;
    const coils = await get(`/api/coils?${range}&alloy=QA${seed}&sort=exit_thickness_mm&dir=asc`);
    expect(coils.status).toBe(200);
    expect(
      (coils.body.rows as { coil_id: string; exit_thickness_mm: number }[]).map(
        (row) => row.exit_thickness_mm,
      ),
    ).toEqual([0.5, 0.7]);
    const one = await get(`/api/coils?${range}&coil=${id}-coil2`);
    expect((one.body.rows as unknown[]).length).toBe(1);
    const summary = await get(`/api/production/summary?${range}&by=alloy_code&sort=key&dir=asc`);
    const groups = (
      summary.body.groups as { key: string; coils: number; min_thickness_mm: number; avg_weight_kg: number }[]
    ).filter((group) => String(group.key).startsWith(`QA${seed}`));
    expect(groups).toEqual([
      expect.objectContaining({ key: `QA${seed}`, coils: 2, min_thickness_mm: 0.5, avg_weight_kg: 10_500 }),
      expect.objectContaining({ key: `QA${seed}b`, coils: 1, min_thickness_mm: 0.9 }),
    ]);
    const inspections = await get(`/api/inspections?${range}&order=${id}&sort=ts&dir=asc`);
    expect((inspections.body.rows as { cell_id: string }[]).map((row) => row.cell_id)).toEqual([
      `${id}-cell1`,
      `${id}-cell2`,
    ]);
    const fqc = await get(`/api/inspections?${range}&cell=${id}-cell2`);
    expect((fqc.body.rows as { verdict: string }[])[0]?.verdict).toBe('fail');
    const orders = await get(`/api/orders?${range}&order=${id}`);
    expect(orders.body.rows).toEqual([
      expect.objectContaining({ order_id: id, quantity: 100, state: 'released' }),
    ]);
    const segments = await get(
      `/api/coil-data?kind=segment&${range}&coil=${id}-coil1&mp=MP03&sort=ts&dir=asc`,
    );
    expect(
      (segments.body.rows as { segment: number; value: number }[]).map((row) => [row.segment, row.value]),
    ).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
    const setup = await get(`/api/coil-data?kind=setup&${range}&coil=${id}-coil1&stand=3`);
    expect(setup.body.rows).toEqual([
      expect.objectContaining({ stand: 3, variable: 'ThermalCrown_G1', value: 13.5 }),
    ]);
    expect((await get(`/api/coil-data?kind=rolls&${range}`)).status).toBe(400);
  });

  it('refuses or defuses SQL injection through every parameter of every route; the tables survive', async () => {
    const payloads = [
      "x' OR 1=1--",
      "'; DROP TABLE samples; --",
      'ts; drop table samples',
      `${dense}' OR '1'='1`,
      '1); DROP TABLE coils; --',
      "now-1h'); DROP TABLE samples; --",
      '$1',
    ];
    const routes: Record<string, Record<string, string>> = {
      '/api/tags': { search: '', prefix: '' },
      '/api/series': {
        tag: dense,
        from: iso(denseStart),
        to: iso(denseStart + H),
        width: '100',
        agg: '',
        interval: '',
        tier: '',
        order: '',
        coil: '',
        cell: '',
      },
      '/api/coil-data': {
        kind: 'segment',
        from: 'now-1d',
        to: 'now',
        coil: '',
        variable: '',
        mp: '',
        stand: '',
        sort: '',
        dir: '',
        limit: '',
      },
      '/api/coils': { from: 'now-1d', to: 'now', alloy: '', coil: '', sort: '', dir: '', limit: '' },
      '/api/production/summary': { from: 'now-1d', to: 'now', by: '', sort: '', dir: '' },
      '/api/inspections': {
        from: 'now-1d',
        to: 'now',
        cell: '',
        order: '',
        stage: '',
        sort: '',
        dir: '',
        limit: '',
      },
      '/api/orders': { from: 'now-1d', to: 'now', order: '', state: '', sort: '', dir: '', limit: '' },
      '/api/events': { from: 'now-1d', to: 'now', kind: '', risk: '' },
      '/api/health/tags': { prefix: '' },
      '/api/export': { tag: dense, from: iso(denseStart), to: iso(denseStart + S), format: '' },
    };
    let tried = 0;
    for (const [path, base] of Object.entries(routes)) {
      for (const parameter of Object.keys(base)) {
        for (const payload of payloads) {
          const params = new URLSearchParams(Object.entries(base).filter(([, value]) => value !== ''));
          params.set(parameter, payload);
          const { status, body } = await get(`${path}?${params.toString()}`);
          tried += 1;
          expect([200, 400], `${path} ${parameter}=${payload}: ${JSON.stringify(body)}`).toContain(status);
          // Accepted only where the text is bound as a value: then it matches nothing.
          if (status === 200 && 'rows' in body) expect(body.rows, `${path} ${parameter}`).toEqual([]);
          if (status === 200 && 'tags' in body) expect(body.tags, `${path} ${parameter}`).toEqual([]);
        }
      }
    }
    expect(tried).toBeGreaterThan(200);
    const tables = await client.query<{ table_name: string }>('SELECT table_name FROM tables()');
    const names = new Set(tables.map((row) => row.table_name));
    for (const table of [...ALL_TABLES, ...ALL_VIEWS]) expect(names.has(table.name), table.name).toBe(true);
    expect(await client.count(TABLES.samples.name, `WHERE tag = '${dense}'`)).toBe(denseRaw.times.length);
  });

  it('documents every route in the OpenAPI 3.1 document', async () => {
    const { status, body } = await get('/api/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths as object).sort()).toEqual(
      [
        '/api/annotations',
        '/api/coil-data',
        '/api/coils',
        '/api/dashboards',
        '/api/dashboards/{id}',
        '/api/events',
        '/api/export',
        '/api/health/tags',
        '/api/inspections',
        '/api/openapi.json',
        '/api/orders',
        '/api/production/summary',
        '/api/series',
        '/api/tags',
        '/api/ui-config',
      ].sort(),
    );
  });
});
