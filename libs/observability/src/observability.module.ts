import 'reflect-metadata';
import { Controller, Get, Header, HttpCode, Inject, Module, Res, type DynamicModule } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Observability } from './observability.js';

@Controller()
class HealthController {
  constructor(@Inject(Observability) private readonly observability: Observability) {}

  @Get('healthz')
  @HttpCode(200)
  live(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.observability.service };
  }

  @Get('readyz')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.observability.health.readiness();
    await reply.status(report.ready ? 200 : 503).send(report);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.observability.metrics.metrics();
  }
}

/** Adds `/healthz`, `/readyz` and `/metrics` to a service and provides its {@link Observability}. */
@Module({})
export class ObservabilityModule {
  static forService(observability: Observability): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      controllers: [HealthController],
      providers: [{ provide: Observability, useValue: observability }],
      exports: [Observability],
    };
  }
}
