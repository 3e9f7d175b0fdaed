import { z } from 'zod';

/** One documented route: its query (or body) and response schemas are the ones the handler parses and returns. */
export interface RouteDoc {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** Fastify-style path, e.g. `/api/series`. */
  readonly path: string;
  readonly area: string;
  readonly summary: string;
  readonly description?: string;
  readonly query?: z.ZodObject;
  /** Path parameters, e.g. `{id}` in `/api/dashboards/{id}`. */
  readonly params?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly response: z.ZodType;
}

const errorSchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string().describe('The reason, naming each bad parameter'),
  issues: z.array(z.object({ parameter: z.string(), reason: z.string() })).optional(),
});

// OpenAPI 3.1 schemas are JSON Schema 2020-12, zod 4's default target; `io: 'input'` documents what a
// caller sends (before coercion and defaults are applied), and a transform documents as its input.
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const document = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete document.$schema; // the document's own dialect (3.1) applies
  return document;
};

/** The OpenAPI 3.1 document of the given routes, built from their zod schemas. */
export function openApiDocument(routes: readonly RouteDoc[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const pathParameters = Object.entries(route.params?.shape ?? {}).map(([name, schema]) => ({
      name,
      in: 'path',
      required: true,
      schema: jsonSchema(schema as z.ZodType, 'input'),
    }));
    const queryParameters = Object.entries(route.query?.shape ?? {}).map(([name, schema]) => {
      const field = schema as z.ZodType;
      const documented = jsonSchema(field, 'input');
      return {
        name,
        in: 'query',
        required: !field.safeParse(undefined).success,
        ...(typeof documented.description === 'string' ? { description: documented.description } : {}),
        schema: documented,
        ...(documented.type === 'array' || 'anyOf' in documented ? { style: 'form', explode: true } : {}),
      };
    });
    const parameters = [...pathParameters, ...queryParameters];
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      tags: [route.area],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        '200': {
          description: 'OK',
          content: { 'application/json': { schema: jsonSchema(route.response, 'output') } },
        },
        '400': {
          description: 'A bad parameter, with the reason',
          content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } },
        },
        '503': { description: 'QuestDB not reachable' },
        '504': { description: 'The query ran past the statement time-out' },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Millrace query API',
      version,
      description: 'Any time range at any zoom: tag catalog, M4-downsampled series, records and summaries.',
    },
    paths,
  };
}
