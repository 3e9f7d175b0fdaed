import { Controller, Get, Inject } from '@nestjs/common';
import { z } from 'zod';
import { API_ROUTES } from '../tokens.js';
import { openApiDocument, type RouteDoc } from './openapi.js';

/** Serves the OpenAPI 3.1 document of every route the areas registered, built once at start-up. */
@Controller('api')
export class OpenApiController {
  private readonly document: Record<string, unknown>;

  constructor(@Inject(API_ROUTES) routes: readonly RouteDoc[]) {
    const self: RouteDoc = {
      method: 'get',
      path: '/api/openapi.json',
      area: 'meta',
      summary: 'This OpenAPI 3.1 document',
      response: z.looseObject({ openapi: z.literal('3.1.0'), paths: z.record(z.string(), z.unknown()) }),
    };
    this.document = openApiDocument([...routes, self], '0.1.0');
  }

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }
}
