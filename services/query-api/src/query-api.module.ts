import type { QueryApiConfig } from '@millrace/config';
import type { Observability } from '@millrace/observability';
import { QueryClient } from '@millrace/questdb';
import { TABLES } from '@millrace/schema';
import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
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
import { TAG_ROUTES } from './tags/tags.api.js';
import { TagsController } from './tags/tags.controller.js';
import { API_ROUTES, CONFIG } from './tokens.js';

/**
 * Every area of the API: one controller each, its routes documented in the OpenAPI document. The live
 * stream, events, export and pipeline health join as further areas; the built web app is served at `/`
 * by a static module that goes next to them in `imports` (after the API routes, so `/api` wins).
 */
const ROUTES: readonly RouteDoc[] = [...TAG_ROUTES, ...SERIES_ROUTES, ...RECORD_ROUTES];

@Injectable()
class QueryClientCloser implements OnApplicationShutdown {
  constructor(@Inject(QueryClient) private readonly client: QueryClient) {}

  onApplicationShutdown(): Promise<void> {
    return this.client.end();
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
      controllers: [TagsController, SeriesController, RecordsController, OpenApiController],
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
          useFactory: (client: QueryClient, catalog: TagCatalog) => new SeriesReader(client, catalog, config),
          inject: [QueryClient, TagCatalog],
        },
        {
          provide: RecordsReader,
          useFactory: (client: QueryClient) => new RecordsReader(client, config),
          inject: [QueryClient],
        },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
      ],
    };
  },
};
