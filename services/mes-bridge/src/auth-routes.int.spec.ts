import { generateToken, hashToken } from '@millrace/auth';
import { loadConfig, queryApiConfigSchema } from '@millrace/config';
import { Observability, ObservabilityModule } from '@millrace/observability';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { QueryApiModule } from '../../query-api/src/query-api.module.js';
import { startBridge, type TestBridge } from './testing/bridge.js';

/**
 * Every write route of both HTTP APIs, as their OpenAPI documents list them, refuses a request without a
 * valid token. A new route is covered the moment it is documented; an undocumented one is still
 * refused by the guard's default (AUTH_WRITE_ROLE for every non-GET; libs/auth/src/guard.spec.ts).
 */
const stack = inject('stack');
const viewerToken = generateToken();
const operatorToken = generateToken();

interface Operation {
  method: string;
  path: string;
  roles?: string[];
}

function writeOperations(document: {
  paths: Record<string, Record<string, { 'x-roles'?: string[] }>>;
}): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => !['get', 'head', 'options'].includes(method))
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        // Path parameters get a plausible value: the guard runs before any lookup.
        path: path.replace(/\{[^}]+\}/g, 'auth-test'),
        ...(operation['x-roles'] ? { roles: operation['x-roles'] } : {}),
      })),
  );
}

const refusals = (token: string | undefined) => [
  { name: 'no token', headers: {} },
  { name: 'a wrong token', headers: { authorization: `Bearer ${generateToken()}` } },
  {
    name: 'another scheme',
    headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
  },
  { name: 'an empty bearer', headers: { authorization: 'Bearer ' } },
  ...(token === undefined
    ? []
    : [{ name: 'a hash instead of the token', headers: { authorization: `Bearer ${hashToken(token)}` } }]),
];

describe('write routes refuse a missing or wrong token', () => {
  let bridge: TestBridge;
  let queryApi: NestFastifyApplication;

  beforeAll(async () => {
    bridge = await startBridge(stack);
    // query-api reads its auth keys from the process env (services/query-api/src/mes/mes-proxy.module.ts).
    process.env.QUERY_API_MES_BRIDGE_URL = bridge.url;
    process.env.AUTH_DEV_TOKENS = 'false';
    process.env.AUTH_TOKENS = `v:viewer:${hashToken(viewerToken)},o:operator:${hashToken(operatorToken)}`;
    const config = loadConfig(queryApiConfigSchema, {
      env: {
        MILLRACE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        MILLRACE_QUESTDB_URL: stack.questdbUrl,
        MILLRACE_QUESTDB_PG_URL: stack.questdbPgUrl,
        MILLRACE_LOG_LEVEL: 'silent',
      },
    });
    const observability = new Observability('query-api', { logLevel: 'silent', defaultMetrics: false });
    @Module({
      imports: [ObservabilityModule.forService(observability), QueryApiModule.forRoot(config, observability)],
    })
    class QueryApiTestModule {}
    queryApi = await NestFactory.create<NestFastifyApplication>(QueryApiTestModule, new FastifyAdapter(), {
      logger: false,
    });
    await queryApi.init();
    await queryApi.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await bridge?.close();
    await queryApi?.close();
  });

  it('mes-bridge: every documented write route', async () => {
    const document = (await bridge.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const operations = writeOperations(document);
    expect(operations.map((operation) => `${operation.method} ${operation.path}`)).toEqual(
      expect.arrayContaining([
        'POST /api/mes/orders',
        'POST /api/mes/orders/auth-test/state',
        'POST /api/mes/commands',
      ]),
    );
    for (const operation of operations) {
      expect(operation.roles, `${operation.path} documents its roles`).toBeDefined();
      for (const { name, headers } of refusals(bridge.tokens.admin)) {
        const response = await bridge.app.inject({
          method: operation.method as 'POST',
          url: operation.path,
          headers,
          payload: {},
        });
        expect(response.statusCode, `${operation.method} ${operation.path} with ${name}`).toBe(401);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      }
      // A valid token of a role the route does not take: 403.
      if (!operation.roles?.includes('viewer')) {
        const response = await bridge.app.inject({
          method: operation.method as 'POST',
          url: operation.path,
          headers: { authorization: `Bearer ${bridge.tokens.viewer}` },
          payload: {},
        });
        expect(response.statusCode, `${operation.method} ${operation.path} as viewer`).toBe(403);
      }
    }
  });

  it('query-api: every documented write route', async () => {
    const document = (await queryApi.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const operations = writeOperations(document);
    expect(operations.map((operation) => `${operation.method} ${operation.path}`)).toContain(
      'POST /api/annotations',
    );
    for (const operation of operations) {
      for (const { name, headers } of refusals(operatorToken)) {
        const response = await queryApi.inject({
          method: operation.method as 'POST',
          url: operation.path,
          headers,
          payload: {},
        });
        expect(response.statusCode, `${operation.method} ${operation.path} with ${name}`).toBe(401);
      }
      const viewer = await queryApi.inject({
        method: operation.method as 'POST',
        url: operation.path,
        headers: { authorization: `Bearer ${viewerToken}` },
        payload: {},
      });
      expect(viewer.statusCode, `${operation.method} ${operation.path} as viewer`).toBe(403);
    }
    // An operator gets through the guard to validation: the token is the only thing refused above.
    const operator = await queryApi.inject({
      method: 'POST',
      url: '/api/annotations',
      headers: { authorization: `Bearer ${operatorToken}` },
      payload: {},
    });
    expect(operator.statusCode).toBe(400);
  });

  it('reads stay open by default; query-api forwards /api/mes/* and the bridge checks the token', async () => {
    expect((await bridge.app.inject({ method: 'GET', url: '/api/mes/orders' })).statusCode).toBe(200);
    const read = await queryApi.inject({ method: 'GET', url: '/api/mes/orders?limit=1' });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toHaveProperty('orders');
    const refused = await queryApi.inject({ method: 'POST', url: '/api/mes/orders', payload: {} });
    expect(refused.statusCode).toBe(401);
    const invalid = await queryApi.inject({
      method: 'POST',
      url: '/api/mes/orders',
      headers: { authorization: `Bearer ${bridge.tokens.mes}` },
      payload: { orderId: 1 },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().message).toMatch(/orderId/);
  });
});
