import { loadConfig, mesBridgeConfigSchema } from '@millrace/config';
import { ObservabilityModule, Observability } from '@millrace/observability';
import type { Role } from '@millrace/auth';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MesBridgeModule } from '../mes-bridge.module.js';

/** The stack's addresses as vitest's global setup provides them (`inject('stack')`). */
type StackAddresses = { kafkaBrokers: string[]; questdbUrl: string; questdbPgUrl: string; mqttUrl: string };

export interface TestBridge {
  app: NestFastifyApplication;
  url: string;
  dataDir: string;
  /** The development tokens the bridge made in its data folder, by role. */
  tokens: Record<Role, string>;
  /** Stops the bridge; `keepData` leaves its folder for a restart on the same data. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * A bridge on a free port against the shared stack, with its own data folder and consumer group. By
 * default it consumes nothing and talks to no MES (each test turns on what it exercises), so parallel
 * test files do not execute each other's commands.
 */
export async function startBridge(
  stack: StackAddresses,
  env: Record<string, string> = {},
  dataDir = mkdtempSync(join(tmpdir(), 'millrace-mes-bridge-')),
): Promise<TestBridge> {
  const config = loadConfig(mesBridgeConfigSchema, {
    env: {
      MILLRACE_DATA_DIR: dataDir,
      MILLRACE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MILLRACE_QUESTDB_URL: stack.questdbUrl,
      MILLRACE_QUESTDB_PG_URL: stack.questdbPgUrl,
      MILLRACE_MQTT_URL: stack.mqttUrl,
      MILLRACE_LOG_LEVEL: 'warn',
      MES_BRIDGE_GROUP_ID: `test-mes-bridge-${randomUUID().slice(0, 8)}`,
      MES_BRIDGE_MES_URL: 'http://127.0.0.1:1/mes',
      MES_BRIDGE_PULL_ENABLED: 'false',
      MES_BRIDGE_OUTBOX_ENABLED: 'false',
      MES_BRIDGE_COMMANDS_ENABLED: 'false',
      MES_BRIDGE_SUMMARY_PERIOD_MS: '0',
      ...env,
    },
  });
  const observability = new Observability('mes-bridge', {
    logLevel: config.MILLRACE_LOG_LEVEL,
    defaultMetrics: false,
  });
  @Module({
    imports: [ObservabilityModule.forService(observability), MesBridgeModule.forRoot(config, observability)],
  })
  class TestModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), {
    logger: false,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const tokens = JSON.parse(readFileSync(join(dataDir, 'auth', 'dev-tokens.json'), 'utf8')) as Record<
    Role,
    string
  >;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    tokens,
    async close(options = {}) {
      await app.close();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until the bridge's Kafka producer is connected (its readiness), so writes do not get 503. */
export async function untilReady(bridge: TestBridge, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await bridge.app.inject({ method: 'GET', url: '/readyz' });
    if (response.statusCode === 200) return;
    if (Date.now() > deadline) throw new Error(`bridge not ready: ${response.body}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
