import {
  dashboardEnvelopeSchema,
  dashboardIdSchema,
  dashboardListSchema,
  dashboardSchema,
} from '@millrace/dashboards';
import { z } from 'zod';
import type { RouteDoc } from '../http/openapi.js';

export const dashboardListQuerySchema = z.object({
  search: z.string().max(128).optional().describe('Case-insensitive text in the title, description or tags'),
});
export const dashboardParamsSchema = z.object({ id: dashboardIdSchema.describe('Dashboard id') });

export const DASHBOARD_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/api/dashboards',
    area: 'dashboards',
    summary: 'Built-in (read-only, from the repo) and saved dashboards, built-in first, then by title',
    query: dashboardListQuerySchema,
    response: dashboardListSchema,
  },
  {
    method: 'get',
    path: '/api/dashboards/{id}',
    area: 'dashboards',
    summary: 'One dashboard document',
    params: dashboardParamsSchema,
    response: dashboardEnvelopeSchema,
  },
  {
    method: 'post',
    path: '/api/dashboards',
    area: 'dashboards',
    summary: 'Saves a new dashboard (answers 201); 409 when the id is taken',
    description: 'Not authenticated yet: write routes get a role guard with the access-control issue.',
    body: dashboardSchema,
    response: dashboardEnvelopeSchema,
  },
  {
    method: 'put',
    path: '/api/dashboards/{id}',
    area: 'dashboards',
    summary: 'Replaces a saved dashboard; built-in ones answer 403 (save a copy under a new id)',
    params: dashboardParamsSchema,
    body: dashboardSchema,
    response: dashboardEnvelopeSchema,
  },
  {
    method: 'delete',
    path: '/api/dashboards/{id}',
    area: 'dashboards',
    summary: 'Deletes a saved dashboard; built-in ones answer 403',
    params: dashboardParamsSchema,
    response: z.object({ deleted: dashboardIdSchema }),
  },
];
