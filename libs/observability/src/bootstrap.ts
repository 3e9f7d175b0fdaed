import 'reflect-metadata';
import { ConfigError, describeConfig, loadConfig } from '@millrace/config';
import { Module, type DynamicModule, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LevelWithSilent } from 'pino';
import type { z } from 'zod';
import type { Logger } from './logger.js';
import { Observability } from './observability.js';
import { ObservabilityModule } from './observability.module.js';

/** Keys every service's config has (see `addressesShape` in @millrace/config). */
interface BaseConfig {
  MILLRACE_LOG_LEVEL: LevelWithSilent;
}

export interface ServiceDefinition<Shape extends z.ZodRawShape> {
  /** The service's name in logs, metrics and `/healthz`. */
  name: string;
  schema: z.ZodObject<Shape>;
  /** The service's own module: its providers start their work in `onApplicationBootstrap`. */
  module: (config: Readonly<z.infer<z.ZodObject<Shape>>>, observability: Observability) => DynamicModule;
  port: (config: Readonly<z.infer<z.ZodObject<Shape>>>) => number;
  host?: string;
}

export interface RunningService {
  app: NestFastifyApplication;
  observability: Observability;
  url: string;
}

/**
 * Starts a service the same way everywhere: parse config once (an invalid key stops start-up with
 * every bad key named), log its summary with secrets masked, run its Nest module on Fastify with
 * `/healthz`, `/readyz` and `/metrics`, and close cleanly on SIGINT/SIGTERM.
 */
export async function bootstrapService<Shape extends z.ZodRawShape>(
  definition: ServiceDefinition<Shape>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<RunningService> {
  const config = loadConfig(definition.schema, { env });
  const level = (config as unknown as BaseConfig).MILLRACE_LOG_LEVEL ?? 'info';
  const observability = new Observability(definition.name, { logLevel: level });
  observability.logger.info({ config: describeConfig(config) }, 'configuration');

  @Module({
    imports: [ObservabilityModule.forService(observability), definition.module(config, observability)],
  })
  class ServiceModule {}

  const app = await NestFactory.create<NestFastifyApplication>(ServiceModule, new FastifyAdapter(), {
    logger: nestLogger(observability.logger),
  });
  app.enableShutdownHooks();
  const host = definition.host ?? '127.0.0.1';
  const port = definition.port(config);
  await app.listen(port, host);
  const url = `http://${host}:${port}`;
  observability.logger.info({ url }, `${definition.name} listening`);
  return { app, observability, url };
}

/** For a service's `main.ts`: runs {@link bootstrapService} and exits non-zero with a clear message if it cannot start. */
export function runService<Shape extends z.ZodRawShape>(definition: ServiceDefinition<Shape>): void {
  bootstrapService(definition).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${definition.name}: ${error.message}\n`);
    } else {
      process.stderr.write(`${definition.name}: cannot start: ${(error as Error).stack ?? String(error)}\n`);
    }
    process.exit(1);
  });
}

function nestLogger(logger: Logger): LoggerService {
  const child = logger.child({ component: 'nest' });
  return {
    log: (message: unknown) => child.debug(String(message)),
    error: (message: unknown, trace?: unknown) => child.error({ trace }, String(message)),
    warn: (message: unknown) => child.warn(String(message)),
    debug: (message: unknown) => child.debug(String(message)),
    verbose: (message: unknown) => child.trace(String(message)),
  };
}
