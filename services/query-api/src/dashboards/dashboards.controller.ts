import { dashboardSchema, type DashboardEnvelope, type DashboardSummary } from '@millrace/dashboards';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { parseQuery } from '../http/validation.js';
import { dashboardListQuerySchema, dashboardParamsSchema } from './dashboards.api.js';
import { DashboardStore } from './dashboard-store.js';

// TODO(auth issue): the write routes get a role guard from libs/auth; until then anyone who reaches the
// API may save and delete users' dashboards (built-in ones stay read-only).
@Controller('api/dashboards')
export class DashboardsController {
  constructor(@Inject(DashboardStore) private readonly store: DashboardStore) {}

  @Get()
  async list(@Query() query: unknown): Promise<{ dashboards: DashboardSummary[] }> {
    return { dashboards: await this.store.list(parseQuery(dashboardListQuerySchema, query).search) };
  }

  @Get(':id')
  get(@Param() params: unknown): Promise<DashboardEnvelope> {
    return this.store.get(parseQuery(dashboardParamsSchema, params).id);
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<DashboardEnvelope> {
    return this.store.create(parseQuery(dashboardSchema, body));
  }

  @Put(':id')
  replace(@Param() params: unknown, @Body() body: unknown): Promise<DashboardEnvelope> {
    return this.store.replace(
      parseQuery(dashboardParamsSchema, params).id,
      parseQuery(dashboardSchema, body),
    );
  }

  @Delete(':id')
  remove(@Param() params: unknown): Promise<{ deleted: string }> {
    return this.store.remove(parseQuery(dashboardParamsSchema, params).id);
  }
}
