// The OpenAPI 3.1 document of the console API, generated from the route table the router
// dispatches from and the component schemas of schemas.ts (which take the config, catalog,
// profile and plan shapes from schema/). Nothing here is written twice: a route exists in the
// document because it exists in the table.

import { createRequire } from 'node:module';
import type { Route } from './route.js';
import { componentSchemas, schemaRef } from './schemas.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

export const API_PREFIX = '/api/v1';

const errorResponse = (description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: schemaRef('Error') } },
});

function operation(r: Route): Record<string, unknown> {
  const pathParams = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = (r.query ?? []).map((q) => ({
    name: q.name,
    in: 'query',
    required: false,
    description: q.description,
    schema: q.schema,
  }));
  const ok =
    r.response === 'sse'
      ? { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } }
      : {
          description: 'OK',
          content: {
            'application/json': { schema: schemaRef(r.response) },
            ...(r.sseWhen ? { 'text/event-stream': { schema: { type: 'string' } } } : {}),
          },
        };
  return {
    operationId: r.operationId,
    summary: r.summary,
    tags: [r.tag],
    description: `Needs the ${r.role} role.`,
    ...(pathParams.length || query.length ? { parameters: [...pathParams, ...query] } : {}),
    ...(r.body
      ? { requestBody: { required: false, content: { 'application/json': { schema: schemaRef(r.body) } } } }
      : {}),
    responses: {
      '200': ok,
      '400': errorResponse('The request is not valid.'),
      '401': errorResponse('No valid bearer token.'),
      '403': errorResponse('The caller lacks the role, or the approval rules do not name it.'),
      '404': errorResponse('No such object.'),
    },
  };
}

export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    paths[r.path] ??= {};
    paths[r.path][r.method.toLowerCase()] = operation(r);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'contextforge operator console API',
      version: pkg.version,
      description:
        "Reads live state and config, decides approvals and proposes changes as YAML; the config file stays the source of truth. Every endpoint needs the gateway bearer token (or a named user's token or JWT). Errors are { error: { code, message, detail } }.",
    },
    servers: [{ url: API_PREFIX }],
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
