import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Observability } from './observability.js';
import { ObservabilityModule } from './observability.module.js';

describe('ObservabilityModule', () => {
  let app: NestFastifyApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(observability: Observability): Promise<NestFastifyApplication> {
    @Module({ imports: [ObservabilityModule.forService(observability)] })
    class TestModule {}
    app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), {
      logger: false,
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  }

  it('answers liveness, and readiness from the registered checks', async () => {
    const observability = new Observability('test-service', { logLevel: 'silent', defaultMetrics: false });
    let kafkaUp = false;
    observability.health.register('kafka', () => kafkaUp);
    observability.health.register('questdb', () => {
      throw new Error('connection refused');
    });
    const server = (await start(observability)).getHttpAdapter().getInstance();

    expect((await server.inject({ url: '/healthz' })).json()).toEqual({
      status: 'ok',
      service: 'test-service',
    });
    const notReady = await server.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({
      ready: false,
      checks: { kafka: false, questdb: 'connection refused' },
    });

    kafkaUp = true;
    observability.health.register('questdb', () => true);
    expect((await server.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('exposes Prometheus metrics with the service label', async () => {
    const observability = new Observability('metrics-service', { logLevel: 'silent', defaultMetrics: false });
    const counter = new Counter({
      name: 'millrace_test_total',
      help: 'test',
      registers: [observability.metrics],
    });
    counter.inc(3);
    const response = await (
      await start(observability)
    )
      .getHttpAdapter()
      .getInstance()
      .inject({ url: '/metrics' });
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('millrace_test_total{service="metrics-service"} 3');
  });
});
