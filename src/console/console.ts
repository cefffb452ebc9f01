// The operator console on the gateway's listener: the JSON API under /api/v1 (routes from the
// route table, errors as { error: { code, message, detail } }, SSE for streams) and the web UI
// under /ui (static files shipped in the package). The gateway has already checked Origin and
// Host; this module turns the auth verdict into an identity, checks its role, validates bodies
// and passes every JSON answer through the redactor. Hand-written routing: a dozen fixed
// templates matched in a loop need no framework, and node:http is what the gateway serves on.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import type { GaugeSource, HttpExtension, HttpExtensionContext } from '../gateway/index.js';
import { DeploymentGauges } from './metrics.js';
import { redactDeep } from '../plan/redact.js';
import { approvalRoutes } from './api-approvals.js';
import { eventRoutes } from './api-events.js';
import { libraryRoutes } from './api-library.js';
import { runtimeRoutes } from './api-runtimes.js';
import { ConsoleContext, type ConsoleDeps } from './context.js';
import { EventHub } from './hub.js';
import { API_PREFIX, openApiDocument } from './openapi.js';
import { hasRole, identify } from './roles.js';
import { ApiError, type ApiReply, type Route } from './route.js';
import { componentSchemas } from './schemas.js';
import { serveUi, UI_PREFIX } from './static.js';
import { snippetRoutes } from './api-snippet.js';

const MAX_BODY = 64 * 1024;

const docRoute: Route = {
  method: 'GET',
  path: '/openapi.json',
  operationId: 'openapi',
  summary: 'This document.',
  tag: 'meta',
  role: 'viewer',
  response: 'OpenApiDocument',
  async handle() {
    return { body: DOCUMENT };
  },
};

/** Every route of the API; the router and the OpenAPI document both read this list. */
export const ROUTES: readonly Route[] = [
  ...runtimeRoutes,
  ...libraryRoutes,
  ...snippetRoutes,
  ...eventRoutes,
  ...approvalRoutes,
  docRoute,
];

const DOCUMENT = openApiDocument(ROUTES);

export { openApiDocument };

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

function compile(r: Route): Compiled {
  const names: string[] = [];
  const src = r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_, n: string) => {
    names.push(n);
    return '([^/]+)';
  });
  return { route: r, pattern: new RegExp(`^${src}$`), names };
}

export interface ConsoleOptions extends ConsoleDeps {
  /** Status poll interval of the live stream; default 1000 ms. */
  pollMs?: number;
}

export interface Console {
  readonly extension: HttpExtension;
  /** Per-runtime gauges for the gateway's /metrics. */
  readonly gauges: GaugeSource[];
  readonly context: ConsoleContext;
  close(): Promise<void>;
}

export function createConsole(options: ConsoleOptions): Console {
  const ctx = new ConsoleContext(options);
  const hub = new EventHub(ctx, { pollMs: options.pollMs });
  ctx.hub = hub;
  const compiled = ROUTES.map(compile);
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  ajv.addSchema({ $id: 'console', components: { schemas: componentSchemas() } });
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (name: string): ValidateFunction => {
    let v = validators.get(name);
    if (!v) {
      v = ajv.compile({ $ref: `console#/components/schemas/${name}` });
      validators.set(name, v);
    }
    return v;
  };
  const closing = new AbortController();

  async function api(req: IncomingMessage, res: ServerResponse, x: HttpExtensionContext): Promise<void> {
    if (!x.auth.ok) {
      x.rejected();
      const params = x.auth.invalidToken ? `, error="invalid_token"` : '';
      res.setHeader('www-authenticate', `Bearer realm="contextforge"${params}`);
      return sendError(res, new ApiError(401, 'auth.required', x.auth.reason, 'Send Authorization: Bearer <token>.'));
    }
    const who = identify(x.auth, userList());
    const sub = x.path.slice(API_PREFIX.length) || '/';
    let match: { c: Compiled; m: RegExpExecArray } | undefined;
    let allowed: string[] = [];
    for (const c of compiled) {
      const m = c.pattern.exec(sub);
      if (!m) continue;
      allowed.push(c.route.method);
      if (c.route.method === req.method) match = { c, m };
    }
    if (!match) {
      if (allowed.length) {
        res.setHeader('allow', allowed.join(', '));
        return sendError(res, new ApiError(405, 'request.method', `Use ${allowed.join(' or ')} on ${x.path}.`));
      }
      return sendError(
        res,
        new ApiError(404, 'request.no-route', `No route ${x.path}.`, `See ${API_PREFIX}/openapi.json.`),
      );
    }
    allowed = [];
    const { route } = match.c;
    if (!hasRole(who, route.role))
      return sendError(
        res,
        new ApiError(
          403,
          'auth.forbidden',
          `${who.name} lacks the ${route.role} role for ${route.operationId}.`,
          `Roles: ${who.roles.join(', ')}.`,
        ),
      );
    const params: Record<string, string> = {};
    match.c.names.forEach((n, i) => {
      params[n] = decodeURIComponent(match.m[i + 1]);
    });
    let body: unknown;
    if (route.body) {
      body = await readBody(req);
      const v = validatorFor(route.body);
      if (!v(body)) {
        const e = v.errors?.[0];
        throw new ApiError(
          400,
          'request.invalid-body',
          `The request body does not match ${route.body}.`,
          e ? `${e.instancePath || '/'} ${e.message ?? ''}`.trim() : undefined,
        );
      }
    }
    const reply: ApiReply = await route.handle({ params, query: x.url.searchParams, body, who, ctx });
    if ('sse' in reply) return sse(req, res, reply.sse);
    const text = ctx.redact(JSON.stringify(redactDeep(reply.body, ctx.redact)));
    res.writeHead(reply.status ?? 200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(text);
  }

  function userList() {
    const a = ctx.config.gateway.auth;
    return a && a !== 'none' ? (a.users ?? []) : [];
  }

  async function sse(
    req: IncomingMessage,
    res: ServerResponse,
    run: (s: import('./route.js').SseStream) => Promise<void>,
  ): Promise<void> {
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    res.once('close', stop);
    closing.signal.addEventListener('abort', stop, { once: true });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': connected\n\n');
    const keepAlive = setInterval(() => {
      if (!res.writableEnded) res.write(': keep-alive\n\n');
    }, 15_000).unref();
    const redact = ctx.redact;
    try {
      await run({
        signal: ac.signal,
        send(event, data, id) {
          if (res.writableEnded) return;
          const json = redact(JSON.stringify(redactDeep(data, redact)));
          res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${json}\n\n`);
        },
      });
    } catch (err) {
      if (!ac.signal.aborted && !res.writableEnded) {
        const e = err instanceof ApiError ? err : new ApiError(500, 'console.internal', 'The stream failed.');
        res.write(`event: error\ndata: ${JSON.stringify({ error: { code: e.code, message: redact(e.message) } })}\n\n`);
      }
    } finally {
      clearInterval(keepAlive);
      closing.signal.removeEventListener('abort', stop);
      res.off('close', stop);
      if (!res.writableEnded) res.end();
    }
    void req;
  }

  function sendError(res: ServerResponse, e: ApiError): void {
    if (res.headersSent) return void res.end();
    const redact = ctx.redact;
    res.writeHead(e.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(
      JSON.stringify({
        error: { code: e.code, message: redact(e.message), ...(e.detail ? { detail: redact(e.detail) } : {}) },
      }),
    );
  }

  const extension: HttpExtension = {
    prefixes: [API_PREFIX, UI_PREFIX],
    async handle(req, res, x) {
      try {
        if (x.path === UI_PREFIX || x.path.startsWith(`${UI_PREFIX}/`)) return await serveUi(req, res, x.path);
        await api(req, res, x);
      } catch (err) {
        if (err instanceof ApiError) return sendError(res, err);
        options.warn?.(`console: ${req.method} ${x.path} failed: ${ctx.redact((err as Error).message)}`);
        sendError(res, new ApiError(500, 'console.internal', 'The console failed to answer.', 'See the host log.'));
      }
    },
  };

  const gauges = new DeploymentGauges(ctx);
  return {
    extension,
    gauges: gauges.sources(),
    context: ctx,
    async close() {
      closing.abort();
      hub.stop();
      await ctx.close();
    },
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ApiError(413, 'request.too-large', 'The request body is larger than 64 KiB.');
    chunks.push(c);
  }
  if (size === 0) return {};
  const type = String(req.headers['content-type'] ?? '');
  if (!type.includes('application/json'))
    throw new ApiError(415, 'request.content-type', 'Send the body as application/json.');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, 'request.bad-json', 'The body is not valid JSON.');
  }
}
