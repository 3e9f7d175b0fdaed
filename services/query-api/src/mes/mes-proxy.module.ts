import { loadConfig, mesProxyConfigSchema } from '@millrace/config';
import { AuthModule, loadAuth } from '@millrace/auth';
import type { Observability } from '@millrace/observability';
import { Module, type DynamicModule } from '@nestjs/common';
import { MES_PROXY_CONFIG, MesProxyController } from './mes-proxy.controller.js';

/**
 * The `/api/mes/*` proxy and query-api's authentication: the global guard of libs/auth protects every
 * write route (POST /api/annotations, dashboards, ...) with AUTH_WRITE_ROLE unless the route names its
 * roles with `@RequireRole` from @millrace/auth. Config is read from the same env as query-api's own.
 */
@Module({})
export class MesProxyModule {
  static forRoot(
    observability: Observability,
    env: Readonly<Record<string, string | undefined>> = process.env,
  ): DynamicModule {
    const config = loadConfig(mesProxyConfigSchema, { env });
    const auth = loadAuth(config);
    if (auth.dev) {
      observability.logger.warn(
        { file: auth.dev.path },
        'API tokens: development tokens in use (AUTH_DEV_TOKENS)',
      );
    }
    return {
      module: MesProxyModule,
      imports: [AuthModule.forRoot(auth.settings)],
      controllers: [MesProxyController],
      providers: [{ provide: MES_PROXY_CONFIG, useValue: config }],
    };
  }
}
