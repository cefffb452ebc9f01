// The emulator's HTTP front: IAM token endpoint, `/v2` API (bearer auth, fault injection,
// statistics, routing to handlers) and the `/__emulator` admin endpoints.
// Owns request flow only; resource semantics live in routes-*.ts.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmuError, errorBody, matchRoute, readBody, sendReply, type Reply, type Route } from './http-util.js';
import { mergeFaults, emptyStats, type EmulatorFaults, type EmulatorStats } from './faults.js';
import { type FakeIam, IamError } from './iam.js';
import type { HandlerCtx, HandlerOptions } from './handlers.js';
import type { RenderContext } from './render.js';
import type { EmuState } from './state.js';
import { appRoutes } from './routes-apps.js';
import { buildRoutes, buildRunRoutes, projectRoutes, secretRoutes } from './routes-other.js';

export interface ServerDeps {
  state: EmuState;
  iam: FakeIam;
  render: RenderContext;
  options: HandlerOptions;
  random: () => number;
  faults: EmulatorFaults;
  stats: EmulatorStats;
  info: () => Record<string, unknown>;
  log: (line: string) => void;
}

const ROUTES: Route<HandlerCtx>[] = [
  ...projectRoutes(),
  ...appRoutes(),
  ...secretRoutes(),
  ...buildRoutes(),
  ...buildRunRoutes(),
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Marker reply: drop the connection without answering. */
const RESET = Symbol('reset');

export function createHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((e: unknown) => {
      deps.log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (!res.headersSent)
        sendReply(res, {
          status: 500,
          body: errorBody(new EmuError(500, 'internal_server_error', 'Internal emulator error.')),
        });
      else res.destroy();
    });
  };
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator.local');
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;

  if (path === '/identity/token') return handleIam(deps, req, res, method);
  if (path.startsWith('/__emulator/')) return handleAdmin(deps, req, res, method, path);
  if (!path.startsWith('/v2/') && path !== '/v2') {
    return sendReply(res, {
      status: 404,
      body: errorBody(new EmuError(404, 'resource_not_found', 'Resource not found.')),
    });
  }

  let rawBody: string;
  try {
    rawBody = await readBody(req);
  } catch (e) {
    if (!(e instanceof EmuError)) throw e;
    return sendReply(res, { status: e.status, body: errorBody(e) });
  }
  const match = matchRoute(ROUTES, method, path);
  const routeKey = match && 'route' in match ? `${method} ${match.route.template}` : `${method} (unmatched)`;
  deps.stats.total++;
  deps.stats.byRoute[routeKey] = (deps.stats.byRoute[routeKey] ?? 0) + 1;

  const reply = await apiReply(deps, req, method, path, url, rawBody, match);
  if (reply === RESET) {
    // The write happened; the client never learns it (a lost response / timeout).
    res.socket?.destroy();
    return;
  }
  deps.stats.byStatus[String(reply.status)] = (deps.stats.byStatus[String(reply.status)] ?? 0) + 1;
  sendReply(res, reply);
}

async function apiReply(
  deps: ServerDeps,
  req: IncomingMessage,
  method: string,
  path: string,
  url: URL,
  rawBody: string,
  match: ReturnType<typeof matchRoute<HandlerCtx>>,
): Promise<Reply | typeof RESET> {
  const f = deps.faults;
  try {
    if (f.latencyMs > 0) await sleep(f.latencyMs);
    deps.iam.verify(req.headers.authorization);
    if (f.rate429 > 0 && deps.random() < f.rate429) {
      deps.stats.faultsInjected['429']++;
      throw new EmuError(429, 'too_many_requests', 'Rate limit exceeded. Retry after a short delay.', undefined, {
        'retry-after': String(f.retryAfterSeconds),
      });
    }
    if (f.rate5xx > 0 && deps.random() < f.rate5xx) {
      deps.stats.faultsInjected['5xx']++;
      throw new EmuError(
        f.status5xx,
        'service_unavailable',
        'The service is temporarily unavailable (injected fault).',
      );
    }
    if (!match) throw new EmuError(404, 'resource_not_found', 'Resource not found.');
    if ('methodNotAllowed' in match)
      throw new EmuError(405, 'method_not_allowed', `Method ${method} is not allowed on this resource.`);
    const ctx: HandlerCtx = {
      state: deps.state,
      render: deps.render,
      options: deps.options,
      params: match.params,
      query: url.searchParams,
      version: url.searchParams.get('version'),
      headers: req.headers,
      rawBody,
      path,
      faults: { ...f },
      takeRace412: () => {
        if (!f.race412Once) return false;
        f.race412Once = false;
        deps.stats.faultsInjected['412Race']++;
        return true;
      },
    };
    const reply = await match.route.handler(ctx);
    if (method !== 'GET' && reply.status < 300 && f.rate5xxAfterWrite > 0 && deps.random() < f.rate5xxAfterWrite) {
      deps.stats.faultsInjected['5xxAfterWrite']++;
      throw new EmuError(
        f.status5xx,
        'service_unavailable',
        'The service is temporarily unavailable (injected fault after the write).',
      );
    }
    if (method !== 'GET' && reply.status < 300 && f.rateResetAfterWrite > 0 && deps.random() < f.rateResetAfterWrite) {
      deps.stats.faultsInjected.resetAfterWrite++;
      return RESET;
    }
    return reply;
  } catch (e) {
    if (!(e instanceof EmuError)) throw e;
    return { status: e.status, body: errorBody(e), headers: e.headers };
  }
}

async function handleIam(deps: ServerDeps, req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
  deps.stats.tokenRequests++;
  const raw = await readBody(req, 64 * 1024);
  try {
    if (method !== 'POST') throw new IamError(405, 'BXNIM0107E', 'Only POST is supported on /identity/token.');
    const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (ct !== 'application/x-www-form-urlencoded')
      throw new IamError(400, 'BXNIM0109E', 'Content-Type must be application/x-www-form-urlencoded.');
    sendReply(res, { status: 200, body: deps.iam.exchange(new URLSearchParams(raw)) });
  } catch (e) {
    if (!(e instanceof IamError)) throw e;
    sendReply(res, { status: e.status, body: e.body() });
  }
}

async function handleAdmin(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
): Promise<void> {
  const raw = await readBody(req);
  try {
    const key = `${method} ${path.replace(/\/$/, '')}`;
    switch (key) {
      case 'GET /__emulator/faults':
        return sendReply(res, { status: 200, body: deps.faults });
      case 'POST /__emulator/faults': {
        let patch: unknown;
        try {
          patch = raw ? JSON.parse(raw) : {};
        } catch {
          throw new EmuError(400, 'invalid_json', 'The request body is not valid JSON.');
        }
        Object.assign(deps.faults, mergeFaults(deps.faults, patch));
        return sendReply(res, { status: 200, body: deps.faults });
      }
      case 'GET /__emulator/stats':
        return sendReply(res, { status: 200, body: deps.stats });
      case 'POST /__emulator/stats/reset':
        Object.assign(deps.stats, emptyStats());
        return sendReply(res, { status: 200, body: deps.stats });
      case 'POST /__emulator/tokens/revoke':
        deps.iam.revokeAll();
        return sendReply(res, { status: 204 });
      case 'GET /__emulator/info':
        return sendReply(res, { status: 200, body: deps.info() });
      default:
        throw new EmuError(
          404,
          'resource_not_found',
          'Unknown admin endpoint. Known: GET/POST /__emulator/faults, GET /__emulator/stats, POST /__emulator/stats/reset, POST /__emulator/tokens/revoke, GET /__emulator/info.',
        );
    }
  } catch (e) {
    if (!(e instanceof EmuError)) throw e;
    sendReply(res, { status: e.status, body: errorBody(e) });
  }
}
