import type { QueryApiConfig } from '@millrace/config';
import type { Observability } from '@millrace/observability';
import { TABLES } from '@millrace/schema';
import { createKafka } from '@millrace/kafka';
import { IlpWriter, QueryClient } from '@millrace/questdb';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { EVENT_ROUTES } from './events/events.api.js';
import { EventsController } from './events/events.controller.js';
import { EventsReader } from './events/events.reader.js';
import { EXPORT_ROUTES } from './export/export.api.js';
import { ExportController } from './export/export.controller.js';
import { ExportReader } from './export/export.reader.js';
import { HEALTH_ROUTES } from './health/health.api.js';
import { HealthController } from './health/health.controller.js';
import { TagHealth } from './health/tag-health.js';
import { LiveHub } from './live/live.hub.js';
import { MesProxyModule } from './mes/mes-proxy.module.js';
import { ApiErrorFilter } from './http/errors.filter.js';
import { OpenApiController } from './http/openapi.controller.js';
import type { RouteDoc } from './http/openapi.js';
import { RECORD_ROUTES } from './records/records.api.js';
import { RecordsController } from './records/records.controller.js';
import { RecordsReader } from './records/records.reader.js';
import { SERIES_ROUTES } from './series/series.api.js';
import { SeriesController } from './series/series.controller.js';
import { SeriesReader } from './series/series.service.js';
import { TagCatalog } from './tags/tag-catalog.js';
import { ProductionSpans } from './series/production-span.js';
import { TAG_ROUTES } from './tags/tags.api.js';
import { TagsController } from './tags/tags.controller.js';
import { API_ROUTES, CONFIG } from './tokens.js';
import { DASHBOARD_ROUTES } from './dashboards/dashboards.api.js';
import { DashboardsController } from './dashboards/dashboards.controller.js';
import { DashboardStore } from './dashboards/dashboard-store.js';
import { WEB_ROUTES, WebController } from './web/web.controller.js';
import { BUILTIN_DASHBOARDS_DIR } from './web/web.paths.js';
import { join } from 'node:path';

/**
 * Every area of the API: one controller each, its routes documented in the OpenAPI document (the live
 * WebSocket `/api/live` is an upgrade, not a route: its protocol is in live/live.api.ts). The built web
 * app is served at `/` by a static module that goes next to them in `imports` (after the API routes).
 */
const ROUTES: readonly RouteDoc[] = [
  ...TAG_ROUTES,
  ...SERIES_ROUTES,
  ...RECORD_ROUTES,
  ...EVENT_ROUTES,
  ...HEALTH_ROUTES,
  ...EXPORT_ROUTES,
  ...DASHBOARD_ROUTES,
  ...WEB_ROUTES,
];

@Injectable()
class QueryClientCloser implements OnApplicationShutdown {
  constructor(@Inject(QueryClient) private readonly client: QueryClient) {}

  onApplicationShutdown(): Promise<void> {
    return this.client.end();
  }
}

/**
 * Owns the writer (annotations), the live hub (WebSocket upgrades on the Fastify server, which has no
 * route for them) and the health page's Kafka admin. The live consumer starts in the background so a
 * Kafka outage does not stop the HTTP API; live subscribers wait for it.
 */
@Injectable()
class Lifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  writer: IlpWriter | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: QueryApiConfig,
    @Inject(LiveHub) private readonly live: LiveHub,
    @Inject(TagHealth) private readonly health: TagHealth,
    @Inject(HttpAdapterHost) private readonly adapter: HttpAdapterHost,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.writer = await IlpWriter.connect({ httpUrl: this.config.MILLRACE_QUESTDB_URL });
    const server = this.adapter.httpAdapter.getHttpServer() as Server;
    server.on('upgrade', (request, socket, head: Buffer) => {
      if (!this.live.upgrade(request, socket, head)) socket.destroy();
    });
    void this.live.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.live.stop();
    await this.health.close();
    await this.writer?.close();
  }
}

@Module({})
class QueryApiRoot {}

export const QueryApiModule = {
  forRoot(config: QueryApiConfig, observability: Observability): DynamicModule {
    let reachable = true;
    observability.health.register('questdb', () => reachable);
    return {
      module: QueryApiRoot,
      // The /api/mes/* proxy and the auth guard over every route (write routes need a token).
      imports: [MesProxyModule.forRoot(observability)],
      controllers: [
        TagsController,
        SeriesController,
        RecordsController,
        EventsController,
        HealthController,
        ExportController,
        OpenApiController,
        DashboardsController,
        // Last: its catch-all route serves the web app for every path no API route took.
        WebController,
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: API_ROUTES, useValue: ROUTES },
        {
          provide: QueryClient,
          useFactory: async () => {
            const client = new QueryClient({
              pgUrl: config.MILLRACE_QUESTDB_PG_URL,
              maxConnections: config.QUERY_API_MAX_CONNECTIONS,
              statementTimeoutMs: config.QUERY_API_STATEMENT_TIMEOUT_MS,
            });
            // Readiness follows a cheap probe; a failed probe does not stop start-up, QuestDB may come later.
            const probe = () =>
              client.count(TABLES.tags.name).then(
                () => (reachable = true),
                () => (reachable = false),
              );
            await probe();
            setInterval(probe, 5_000).unref();
            return client;
          },
        },
        QueryClientCloser,
        {
          provide: TagCatalog,
          useFactory: (client: QueryClient) => new TagCatalog(client, config),
          inject: [QueryClient],
        },
        {
          provide: SeriesReader,
          useFactory: (client: QueryClient, catalog: TagCatalog) =>
            new SeriesReader(client, catalog, new ProductionSpans(client, config), config),
          inject: [QueryClient, TagCatalog],
        },
        {
          provide: RecordsReader,
          useFactory: (client: QueryClient) => new RecordsReader(client, config),
          inject: [QueryClient],
        },
        {
          provide: LiveHub,
          useFactory: (client: QueryClient) => new LiveHub(config, observability, client),
          inject: [QueryClient],
        },
        {
          provide: TagHealth,
          useFactory: (client: QueryClient, catalog: TagCatalog) =>
            new TagHealth(
              client,
              catalog,
              () =>
                createKafka({
                  brokers: config.MILLRACE_KAFKA_BROKERS,
                  clientId: 'query-api-health',
                  logger: observability.logger,
                }).admin(),
              config,
            ),
          inject: [QueryClient, TagCatalog],
        },
        Lifecycle,
        {
          provide: EventsReader,
          useFactory: (client: QueryClient, lifecycle: Lifecycle) =>
            new EventsReader(
              client,
              () => {
                if (!lifecycle.writer) throw new Error('the ILP writer is not connected yet');
                return lifecycle.writer;
              },
              config,
            ),
          inject: [QueryClient, Lifecycle],
        },
        {
          provide: ExportReader,
          useFactory: (client: QueryClient, catalog: TagCatalog) => new ExportReader(client, catalog, config),
          inject: [QueryClient, TagCatalog],
        },
        {
          provide: DashboardStore,
          useFactory: async () => {
            const store = new DashboardStore(
              config.QUERY_API_BUILTIN_DASHBOARDS_DIR ?? BUILTIN_DASHBOARDS_DIR,
              config.QUERY_API_DASHBOARDS_DIR ?? join(config.MILLRACE_DATA_DIR, 'dashboards'),
              observability.logger,
            );
            await store.load();
            return store;
          },
        },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
      ],
    };
  },
};
