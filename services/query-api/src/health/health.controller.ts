import { epochMs } from '@millrace/time';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { parseQuery } from '../http/validation.js';
import { tagHealthQuerySchema, type TagHealthResponse } from './health.api.js';
import { TagHealth } from './tag-health.js';

@Controller('api/health/tags')
export class HealthController {
  constructor(@Inject(TagHealth) private readonly health: TagHealth) {}

  @Get()
  read(@Query() query: unknown): Promise<TagHealthResponse> {
    return this.health.read(parseQuery(tagHealthQuerySchema, query).prefix, epochMs(Date.now()));
  }
}
