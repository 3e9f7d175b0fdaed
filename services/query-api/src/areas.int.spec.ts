import { generateToken, hashToken } from '@millrace/auth';
import { loadConfig, queryApiConfigSchema } from '@millrace/config';
import { createKafka } from '@millrace/kafka';
import { waitFor } from '@millrace/kafka/testing';
import { Observability, ObservabilityModule } from '@millrace/observability';
import { IlpWriter, QueryClient, type Row } from '@millrace/questdb';
import { encodeMessage, TABLES, TOPICS } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { QueryApiModule } from './query-api.module.js';

// Write routes need a token (libs/auth, read from the process env by the auth module): this test brings its own.
const operatorToken = generateToken();
process.env.AUTH_DEV_TOKENS = 'false';
process.env.AUTH_TOKENS = `areas-test:operator:${hashToken(operatorToken)}`;
const operatorHeaders = { authorization: `Bearer ${operatorToken}` };

const S = 1_000_000;
const iso = (us: number) => new Date(us / 1_000).toISOString();

describe('query-api events, live, health and export against the real stack', () => {
  const stack = inject('stack');
  const id = `qarea${Math.floor(Math.random() * 2 ** 31)}`;
  const exportTag = `plant1/${id}/line/cell/export`;
  const liveA = `plant1/${id}/line/cell/livea`;
  const liveB = `plant1/${id}/line/cell/liveb`;
  const day = Date.UTC(2024, 5, 3) * 1_000;
  const exportRows = 25_123; // more than two export pages of 10k
  const observability = new Observability('query-api-areas-test', { logLevel: 'silent' });
  let client: QueryClient;
  let writer: IlpWriter;
  let producer: Producer;
  let app: NestFastifyApplication;
  let port: number;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    client = new QueryClient({ pgUrl: stack.questdbPgUrl });
    writer = await IlpWriter.connect({ httpUrl: stack.questdbUrl });
    producer = createKafka({
      brokers: stack.kafkaBrokers,
      clientId: id,
      logger: observability.logger,
    }).producer();
    await producer.connect();
    const rows: Row[] = [];
    for (let i = 0; i < exportRows; i += 1)
      rows.push({ ts: epochUs(day + i * S), tag: exportTag, value: i, quality: 'good', source: 'test' });
    rows[7] = { ts: epochUs(day + 7 * S), tag: exportTag, value_text: 'a, "quoted"', source: 'test' };
    const now = Date.now() * 1_000;
    for (const tag of [liveA, liveB])
      rows.push({
        ts: epochUs(now - 20 * S),
        tag,
        value: 1,
        source: 'test',
        ingest_ts: epochUs(now - 19 * S),
      });
    for (let offset = 0; offset < rows.length; offset += 20_000)
      await writer.write(TABLES.samples, rows.slice(offset, offset + 20_000));
    await writer.write(TABLES.riskEvents, [
      {
        ts: epochUs(day),
        cell_id: `${id}-c1`,
        order_id: id,
        model_version: 'm1',
        risk_class: 'high',
        probability: 0.9,
        recommendation: 'scrap',
        reasons: JSON.stringify([{ feature: 'cas_speed_mean', value: 2_850, contribution: 1.2 }]),
      },
      {
        ts: epochUs(day + S),
        cell_id: `${id}-c2`,
        order_id: id,
        model_version: 'm1',
        risk_class: 'low',
        probability: 0.1,
        recommendation: 'ship',
        reasons: '[]',
      },
    ]);
    await writer.write(TABLES.orders, [
      { ts: epochUs(day + 2 * S), order_id: id, line: 'l1', product: 'cell', quantity: 5, state: 'running' },
    ]);
    await writer.write(TABLES.machineCommands, [
      {
        ts: epochUs(day + 3 * S),
        command_id: `${id}-cmd`,
        machine: 'press1',
        setpoint: 'force',
        value: 3,
        reason: 'test',
        issued_by: id,
        result: 'rejected',
        detail: 'limit',
      },
    ]);
    await writer.write(TABLES.ingestGaps, [
      {
        ts: epochUs(day + 4 * S),
        endpoint: `opc.tcp://${id}:4840`,
        source: 'opcua',
        end_ts: epochUs(day + 64 * S),
      },
    ]);
    // Two intervals of the stream processor's per-tag counts, summed by the health page.
    await writer.write(TABLES.pipelineTagStats, [
      { ts: epochUs(now - 20 * S), tag: liveA, on_time: 50, late: 2, too_late: 0, dead_letters: 1 },
      { ts: epochUs(now - 10 * S), tag: liveA, on_time: 40, late: 1, too_late: 3, dead_letters: 0 },
    ]);
    for (const table of [
      TABLES.samples,
      TABLES.riskEvents,
      TABLES.orders,
      TABLES.machineCommands,
      TABLES.ingestGaps,
      TABLES.pipelineTagStats,
    ])
      await client.waitForWalApplied(table.name);

    const config = loadConfig(queryApiConfigSchema, {
      env: {
        MILLRACE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        MILLRACE_QUESTDB_URL: stack.questdbUrl,
        MILLRACE_QUESTDB_PG_URL: stack.questdbPgUrl,
        QUERY_API_CATALOG_TTL_MS: '0',
        QUERY_API_LOOKUP_TTL_MS: '0',
        QUERY_API_STREAM_PROCESSOR_URL: 'http://127.0.0.1:1', // nothing there: the page must say so
      },
    });
    @Module({
      imports: [ObservabilityModule.forService(observability), QueryApiModule.forRoot(config, observability)],
    })
    class TestModule {}
    app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await app?.close();
    await producer?.disconnect();
    await writer?.close();
    await client?.end();
  });

  const range = `from=${encodeURIComponent(iso(day - 60 * S))}&to=${encodeURIComponent(iso(day + 3_600 * S))}`;
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url });
    return {
      status: response.statusCode,
      body: response.json() as Record<string, unknown> & { message?: string },
    };
  };
  type Event = {
    kind: string;
    title: string;
    tags?: string[];
    endTs?: string;
    text: string;
    severity?: string;
  };
  const mine = (events: Event[]) => events.filter((event) => JSON.stringify(event).includes(id));

  it('reads risk (high by default), order, command and gap events in one timeline', async () => {
    const { status, body } = await get(`/api/events?${range}`);
    expect(status, JSON.stringify(body)).toBe(200);
    const events = mine(body.events as Event[]);
    expect(events.map((event) => event.kind)).toEqual(['risk', 'order', 'command', 'gap']);
    expect(events[3]!.endTs).toBe(iso(day + 64 * S).replace('Z', '000Z'));
    expect(events[0]).toMatchObject({
      risk: {
        cellId: `${id}-c1`,
        probability: 0.9,
        modelVersion: 'm1',
        reasons: [{ feature: 'cas_speed_mean', value: 2_850, contribution: 1.2 }],
      },
    });
    const all = await get(`/api/events?${range}&risk=all&kind=risk`);
    expect(mine(all.body.events as Event[]).map((event) => event.severity)).toEqual(['high', 'low']);
  });

  it('stores an annotation (201) and reads it back; refuses bad ones with the failing fields', async () => {
    const post = await app.inject({
      method: 'POST',
      url: '/api/annotations',
      headers: operatorHeaders,
      payload: {
        ts: iso(day + 10 * S),
        endTs: iso(day + 20 * S),
        text: `roll change ${id}`,
        tags: ['rolls'],
        author: 'qa',
      },
    });
    expect(post.statusCode, post.body).toBe(201);
    const created = post.json() as { id: string };
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(
      async () => {
        const { body } = await get(`/api/events?${range}&kind=annotation`);
        return (body.events as (Event & { id?: string })[]).some((event) => event.id === created.id);
      },
      30_000,
      'annotation visible',
    );
    for (const [payload, field] of [
      [{ text: 'x' }, /ts/],
      [{ ts: 'yesterday', text: 'x' }, /ts/],
      [{ ts: iso(day), text: '' }, /text/],
      [{ ts: iso(day), endTs: iso(day - S), text: 'x' }, /endTs/],
      [{ ts: iso(day), text: 'x', tags: 'a' }, /tags/],
    ] as const) {
      const bad = await app.inject({
        method: 'POST',
        url: '/api/annotations',
        headers: operatorHeaders,
        payload,
      });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
      expect((bad.json() as { message: string }).message).toMatch(field);
    }
    expect((await get(`/api/events?${range}&kind=nosuch`)).status).toBe(400);
    expect((await get(`/api/events?from=now&to=now-1h`)).status).toBe(400);
  });

  it('exports every row of a tag as CSV, page by page', async () => {
    const response = await app.inject({
      method: 'GET',
      url: `/api/export?tag=${exportTag}&from=${iso(day)}&to=${iso(day + 86_400 * S)}&format=csv`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/csv/);
    const lines = response.body.trimEnd().split('\n');
    expect(lines[0]).toBe('ts,tag,value,value_text,quality');
    expect(lines).toHaveLength(exportRows + 1);
    expect(lines[1]).toBe(`${iso(day).replace('Z', '000Z')},${exportTag},0,,good`);
    expect(lines[8]).toContain('"a, ""quoted"""');
    const times = lines.slice(1).map((line) => line.split(',')[0]!);
    expect(new Set(times).size).toBe(exportRows);
    for (const query of [
      `tag=${exportTag}&format=xml`,
      `tag=${exportTag}&from=now&to=now-1h`,
      `tag=plant1/${id}/no/such/tag`,
      'from=now-1h',
    ])
      expect((await app.inject({ method: 'GET', url: `/api/export?${query}` })).statusCode, query).toBe(400);
  });

  it('reports tag health: last seen, ingest lag, per-tag counts; pipeline figures null with the reason', async () => {
    const { status, body } = await get(`/api/health/tags?prefix=plant1/${id}/`);
    expect(status).toBe(200);
    const tags = body.tags as { tag: string; lastSeen: string | null; ingestLagMs: number | null }[];
    const a = tags.find((tag) => tag.tag === liveA)!;
    expect(a.lastSeen).not.toBeNull();
    expect(a.ingestLagMs).toBe(1_000);
    expect(a).toMatchObject({ onTimeSamples: 90, lateSamples: 3, droppedSamples: 3, deadLetters: 1 });
    expect(tags.find((tag) => tag.tag === liveB)).toMatchObject({ lateSamples: 0, deadLetters: 0 });
    const pipeline = body.pipeline as {
      processorReachable: boolean;
      problems: string[];
      deadLetterTopics: unknown[] | null;
    };
    expect(pipeline.processorReachable).toBe(false);
    expect(pipeline.problems.join()).toMatch(/stream processor/);
    expect(Array.isArray(pipeline.deadLetterTopics)).toBe(true);
  });

  it('streams live: backfill first, then samples produced to Kafka, only the subscribed tags', async () => {
    const open = async (tags: string[]) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/api/live`);
      sockets.push(socket);
      const messages: {
        type: string;
        tag?: string;
        ts?: number[];
        values?: unknown[];
        series?: { tag: string; ts: number[] }[];
      }[] = [];
      socket.on('message', (data) => messages.push(JSON.parse(String(data)) as (typeof messages)[number]));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(JSON.stringify({ subscribe: tags, backfillSeconds: 60 }));
      return messages;
    };
    const first = await open([liveA]);
    const second = await open([liveB]);
    await waitFor(
      () => first.some((m) => m.type === 'backfill') && second.some((m) => m.type === 'backfill'),
      60_000,
      'backfill',
    );
    expect(first[0]!.series!.map((s) => s.tag)).toEqual([liveA]);
    expect(first[0]!.series![0]!.ts).toHaveLength(1);
    const now = Date.now() * 1_000;
    for (const [tag, value] of [
      [liveA, 7],
      [liveB, 8],
    ] as const)
      await producer.send({
        topic: TOPICS.samples.name,
        messages: [
          {
            key: tag,
            value: Buffer.from(
              encodeMessage(TOPICS.samples, {
                tag,
                source: 'test',
                ingestTs: epochUs(now),
                ts: [epochUs(now)],
                values: [value],
              }),
            ),
          },
        ],
      });
    await waitFor(
      () => first.some((m) => m.type === 'samples') && second.some((m) => m.type === 'samples'),
      30_000,
      'live samples',
    );
    const liveFirst = first.filter((m) => m.type === 'samples');
    expect(liveFirst).toEqual([{ type: 'samples', tag: liveA, ts: [Math.floor(now / 1_000)], values: [7] }]);
    expect(second.filter((m) => m.type === 'samples').map((m) => m.tag)).toEqual([liveB]);
    const bad = await open([]);
    await waitFor(() => bad.some((m) => m.type === 'error'), 10_000, 'refusal');
  }, 90_000);

  it('lists the new routes in the OpenAPI document', async () => {
    const { body } = await get('/api/openapi.json');
    for (const path of ['/api/events', '/api/annotations', '/api/health/tags', '/api/export'])
      expect(Object.keys(body.paths as object)).toContain(path);
  });
});
