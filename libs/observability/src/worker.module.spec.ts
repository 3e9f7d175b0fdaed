import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { describe, expect, it } from 'vitest';
import { serviceWorkerModule, type ServiceWorker } from './worker.module.js';

class Recorder implements ServiceWorker {
  readonly calls: string[] = [];
  async start(): Promise<void> {
    this.calls.push('start');
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
  }
}

describe('serviceWorkerModule', () => {
  it('builds the worker once, starts it after bootstrap, stops it on close, and provides it by its class', async () => {
    let built = 0;
    const app = await NestFactory.create<NestFastifyApplication>(
      serviceWorkerModule(Recorder, () => {
        built += 1;
        return new Recorder();
      }),
      new FastifyAdapter(),
      { logger: false },
    );
    const worker = app.get(Recorder);
    expect(worker.calls).toEqual([]);
    await app.init();
    expect(worker.calls).toEqual(['start']);
    await app.close();
    expect(worker.calls).toEqual(['start', 'stop']);
    expect(built).toBe(1);
  });
});
