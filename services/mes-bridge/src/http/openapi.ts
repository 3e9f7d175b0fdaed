import { z } from 'zod';
import type { Role } from '@millrace/auth';

/** One documented route; its schemas are the ones the handler parses and returns. */
export interface RouteDoc {
  readonly method: 'get' | 'post';
  /** OpenAPI path, e.g. `/api/mes/orders/{orderId}`. */
  readonly path: string;
  readonly summary: string;
  /** Roles the route accepts; absent: the service's read policy (GETs). Written to the document as `x-roles`. */
  readonly roles?: readonly Role[];
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly response: z.ZodType;
  /** Status of a success, default 200. */
  readonly status?: number;
  readonly errors?: readonly number[];
}

const errorSchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
});

const ERROR_TEXT: Record<number, string> = {
  400: 'A bad body or parameter; each failing field with the reason',
  401: 'No valid bearer token',
  403: 'The token’s role may not do this',
  404: 'Not found',
  409: 'The change conflicts with the order’s state; the reason says why',
  422: 'The Idempotency-Key was used for another request',
  503: 'Kafka or QuestDB not reachable; try again',
};

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const document = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete document.$schema;
  return document;
};

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query') {
  return Object.entries(schema?.shape ?? {}).map(([name, field]) => ({
    name,
    in: where,
    required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
    schema: jsonSchema(field as z.ZodType, 'input'),
  }));
}

/** OpenAPI 3.1 document of the bridge's routes; write routes carry `security` and `x-roles`. */
export function openApiDocument(routes: readonly RouteDoc[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const errors = [
      ...(route.errors ?? []),
      ...(route.body ? [400] : []),
      ...(route.roles ? [401, 403] : []),
    ];
    const params = [...parameters(route.params, 'path'), ...parameters(route.query, 'query')];
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      summary: route.summary,
      ...(route.roles ? { security: [{ bearer: [] }], 'x-roles': route.roles } : {}),
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [String(route.status ?? 200)]: {
          description: 'OK',
          content: { 'application/json': { schema: jsonSchema(route.response, 'output') } },
        },
        ...Object.fromEntries(
          [...new Set(errors)].map((status) => [
            String(status),
            {
              description: ERROR_TEXT[status] ?? 'Error',
              content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } },
            },
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Millrace MES bridge',
      version,
      description:
        'Production orders in, QC results and machine data out, machine commands with safety and audit.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
