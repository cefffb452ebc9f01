// The downstream HTTP surface on node:http: Streamable HTTP at /mcp and /servers/<name>/mcp,
// legacy HTTP+SSE at /sse + /messages (also under /servers/<name>/), /healthz (open), /readyz
// (details with auth) and /metrics (auth unless public). It checks Origin and Host, authenticates
// and admits sessions; MCP semantics live in the SDK transports and in downstream.ts.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { AuthResult, Authenticator } from './auth.js';
import { viewKey, type View } from './catalog.js';
import type { GatewayCore } from './core.js';
import { JsonFastPathTransport } from './json-fast-path.js';
import type { RejectReason } from './metrics.js';
import type { RequestGuard } from './request-guard.js';
import { SessionTable, isRefusal, type Refusal } from './session-table.js';
import type { HttpExtension, VirtualServerSpec } from './types.js';

const MAX_BODY = 4 * 1024 * 1024;
/**
 * A request target that URL parsing leaves as it is (no query, dot segment, escape or backslash):
 * its path is used without building a URL, which every MCP request would otherwise pay for.
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_\-/]*$/;
const BASE = 'http://gateway.invalid';

export interface HttpHandlerOptions {
  core: GatewayCore;
  auth: Authenticator;
  guard: RequestGuard;
  virtualServers: VirtualServerSpec[];
  /** Streamable HTTP sessions with no request and no open stream for this long are closed. */
  sessionIdleMs: number;
  maxSessions: number;
  maxSessionsPerPrincipal: number;
  /** 'public' serves /metrics without auth. */
  metrics: 'auth' | 'public';
  /** A request body that sends nothing for this long is answered 408; 0 disables. */
  bodyIdleMs: number;
  extension?: HttpExtension;
  readiness?: () => { ok: boolean; component: string; detail?: string };
}

export class HttpHandler {
  readonly sessions: SessionTable;
  private readonly virtual: Map<string, VirtualServerSpec>;

  constructor(private readonly o: HttpHandlerOptions) {
    this.virtual = new Map(o.virtualServers.map((v) => [v.name, v]));
    this.sessions = new SessionTable({
      maxTotal: o.maxSessions,
      maxPerPrincipal: o.maxSessionsPerPrincipal,
      idleMs: o.sessionIdleMs,
    });
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  closeAll(): Promise<void> {
    return this.sessions.closeAll();
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res).catch((e: unknown) => {
      this.o.core.logger.error('request failed', { path: req.url, error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) json(res, 500, { error: 'Internal gateway error.' });
      else res.end();
    });
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const plain = PLAIN_PATH.test(target);
    const path = (plain ? target : new URL(target, BASE).pathname).replace(/\/+$/, '') || '/';
    const url = (): URL => new URL(target, BASE);
    // A browser page of another origin must not drive the gateway, whatever it targets.
    const origin = this.o.guard.origin(req.headers.origin);
    if (origin === 'denied') {
      return this.reject(
        res,
        'origin',
        403,
        'Origin not allowed: browser pages may use the gateway only from origins listed in gateway.allowed_origins.',
      );
    }
    if (origin === 'allowed') {
      const o = req.headers.origin as string;
      if (req.method === 'OPTIONS') {
        res.writeHead(204, this.o.guard.preflightHeaders(o));
        return void res.end();
      }
      for (const [k, v] of Object.entries(this.o.guard.corsHeaders(o))) res.setHeader(k, v);
    }
    // Liveness reveals nothing and orchestrators probe it under any Host name.
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (!this.o.guard.host(req.headers.host)) {
      return this.reject(
        res,
        'host',
        403,
        'Host header not allowed: use the listen address, or add the name to gateway.allowed_hosts.',
      );
    }
    const verdict = this.o.auth.check(req.headers.authorization);
    if (path === '/readyz') return this.readyz(res, verdict.ok);
    if (path === '/metrics') {
      if (!verdict.ok && this.o.metrics !== 'public') return this.unauthorized(res, verdict);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(this.o.core.metrics.render());
      return;
    }
    const ext = this.o.extension;
    if (ext && ext.prefixes.some((p) => path === p || path.startsWith(`${p}/`))) {
      return ext.handle(req, res, {
        url: url(),
        path,
        auth: verdict,
        rejected: () => this.o.core.metrics.observeRejection('auth'),
      });
    }
    if (!verdict.ok) return this.unauthorized(res, verdict);
    const m = /^(?:\/servers\/([^/]+))?\/(mcp|sse|messages)$/.exec(path);
    if (!m)
      return json(res, 404, { error: `No route for ${path}. MCP is served at /mcp, /sse and /servers/<name>/mcp.` });
    const view = this.resolveView(m[1] === undefined ? undefined : decodeURIComponent(m[1]));
    if (!view) return json(res, 404, { error: `No runtime or virtual server named '${decodeURIComponent(m[1])}'.` });
    const prefix = m[1] === undefined ? '' : `/servers/${m[1]}`;
    if (m[2] === 'mcp') return this.streamable(req, res, view, verdict.principal);
    if (m[2] === 'sse') return this.sseOpen(req, res, view, `${prefix}/messages`, verdict.principal);
    return this.ssePost(req, res, url(), view);
  }

  /** Virtual servers win over runtimes of the same name; the gateway warns about such clashes at start. */
  private resolveView(name: string | undefined): View | undefined {
    if (name === undefined) return { kind: 'federated' };
    const v = this.virtual.get(name);
    if (v) return { kind: 'virtual', spec: v };
    if (this.o.core.federation.has(name)) return { kind: 'runtime', name };
    return undefined;
  }

  /** Without auth only the verdict: runtime names and upstream errors (URLs) are for authenticated callers. */
  private readyz(res: ServerResponse, authenticated: boolean): void {
    const upstreams = this.o.core.federation.status();
    // Ready once every upstream is connected or has failed with a reason after trying.
    const extra = this.o.readiness?.();
    const ready =
      (extra?.ok ?? true) &&
      upstreams.every((u) => u.state === 'connected' || (u.attempted && u.lastError !== undefined));
    if (!authenticated) return json(res, ready ? 200 : 503, { ready });
    json(res, ready ? 200 : 503, {
      ready,
      ...(extra ? { [extra.component]: { ok: extra.ok, ...(extra.detail ? { detail: extra.detail } : {}) } } : {}),
      upstreams: upstreams.map((u) => ({ name: u.name, state: u.state, lastError: u.lastError })),
    });
  }

  private async streamable(req: IncomingMessage, res: ServerResponse, view: View, principal: string): Promise<void> {
    let body: unknown;
    if (req.method === 'POST') {
      const parsed = await readJson(req, this.o.bodyIdleMs);
      if (!parsed.ok) return this.bodyError(res, parsed);
      body = parsed.value;
    }
    const sid = header(req, 'mcp-session-id');
    if (sid) {
      const s = this.sessions.get(sid);
      if (!s || s.kind !== 'streamable' || s.view !== viewKey(view))
        return jsonRpcError(res, 404, -32001, 'Session not found. Initialize a new session.');
      s.lastSeen = Date.now();
      if (req.method === 'GET') {
        s.openStreams++;
        res.once('close', () => {
          s.openStreams--;
          s.lastSeen = Date.now();
        });
      }
      const t = s.transport as JsonFastPathTransport;
      if (t.tryHandle(req, res, body)) return;
      return t.inner.handleRequest(req, res, body);
    }
    const initializing =
      req.method === 'POST' &&
      (isInitializeRequest(body) || (Array.isArray(body) && body.some((b) => isInitializeRequest(b))));
    if (!initializing)
      return jsonRpcError(res, 400, -32000, 'Bad request: no valid session id; send initialize first.');
    const slot = this.sessions.reserve(principal);
    if (isRefusal(slot)) return this.refuse(res, slot);
    const server = this.o.core.openServer(view, 'streamable-http');
    let registered = false;
    // Requests that want no progress are answered as plain JSON (JsonFastPathTransport); the
    // SDK transport keeps SSE for the rest, and the whole protocol surface.
    const transport: JsonFastPathTransport = new JsonFastPathTransport(
      new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => {
          registered = true;
          const close = (): Promise<void> => server.close().catch(() => undefined);
          this.sessions.add(id, slot, {
            kind: 'streamable',
            view: viewKey(view),
            principal,
            transport,
            lastSeen: Date.now(),
            openStreams: 0,
            close,
          });
        },
      }),
    );
    transport.direct = this.o.core.directFor(server);
    server.onclose = () => {
      if (transport.sessionId) this.sessions.remove(transport.sessionId);
      slot.release();
      this.o.core.forgetServer(server);
    };
    try {
      await server.connect(transport);
      await transport.inner.handleRequest(req, res, body);
    } finally {
      // The transport refused the initialize (wrong content type or Accept, a malformed batch):
      // no session exists, so everything made for it goes now.
      if (!registered) {
        slot.release();
        await server.close().catch(() => undefined);
        this.o.core.forgetServer(server);
      }
    }
  }

  private async sseOpen(
    req: IncomingMessage,
    res: ServerResponse,
    view: View,
    endpoint: string,
    principal: string,
  ): Promise<void> {
    if (req.method !== 'GET') return json(res, 405, { error: 'Use GET to open the SSE stream.' });
    const slot = this.sessions.reserve(principal);
    if (isRefusal(slot)) return this.refuse(res, slot);
    const transport = new SSEServerTransport(endpoint, res);
    const server = this.o.core.openServer(view, 'sse');
    const close = (): Promise<void> => server.close().catch(() => undefined);
    this.sessions.add(transport.sessionId, slot, {
      kind: 'sse',
      view: viewKey(view),
      principal,
      transport,
      lastSeen: Date.now(),
      openStreams: 1,
      close,
    });
    // The SDK's legacy SSE transport sends nothing while idle; proxies cut silent streams, so a
    // comment frame (ignored by clients) goes out every 15 s.
    const keepAlive = setInterval(() => {
      if (!res.writableEnded) res.write(': keep-alive\n\n');
    }, 15_000).unref();
    server.onclose = () => {
      clearInterval(keepAlive);
      this.sessions.remove(transport.sessionId);
      this.o.core.forgetServer(server);
    };
    try {
      await server.connect(transport);
    } catch (e) {
      await close();
      throw e;
    }
    // A client that left before the transport listened for 'close' would hold its place forever.
    if (res.destroyed) await close();
  }

  private async ssePost(req: IncomingMessage, res: ServerResponse, url: URL, view: View): Promise<void> {
    if (req.method !== 'POST') return json(res, 405, { error: 'Use POST to send messages.' });
    const s = this.sessions.get(url.searchParams.get('sessionId') ?? '');
    if (!s || s.kind !== 'sse' || s.view !== viewKey(view))
      return json(res, 404, { error: 'Session not found. Open a new SSE stream.' });
    const parsed = await readJson(req, this.o.bodyIdleMs);
    if (!parsed.ok) return this.bodyError(res, parsed);
    s.lastSeen = Date.now();
    await (s.transport as SSEServerTransport).handlePostMessage(req, res, parsed.value);
  }

  private unauthorized(res: ServerResponse, verdict: Extract<AuthResult, { ok: false }>): void {
    this.o.core.metrics.observeRejection('auth');
    const params = verdict.invalidToken ? `, error="invalid_token", error_description="${verdict.reason}"` : '';
    res.writeHead(401, {
      'content-type': 'application/json',
      'www-authenticate': `Bearer realm="contextforge"${params}`,
    });
    res.end(JSON.stringify({ error: verdict.reason }));
  }

  private refuse(res: ServerResponse, r: Refusal): void {
    const [status, text] =
      r.scope === 'total'
        ? [503, `Session limit reached: the gateway has ${r.limit} open sessions (gateway.max_sessions).`]
        : [
            429,
            `Session limit reached: these credentials hold ${r.limit} open sessions (gateway.max_sessions_per_principal).`,
          ];
    this.reject(
      res,
      'session-limit',
      status,
      `${text} Close unused sessions (DELETE with their Mcp-Session-Id) or wait for idle ones to expire.`,
    );
  }

  private bodyError(res: ServerResponse, e: BodyError): void {
    if (e.status === 408) {
      // The client stopped sending mid-body; the connection cannot carry another request.
      res.setHeader('connection', 'close');
      this.o.core.metrics.observeRejection('body-timeout');
    }
    jsonRpcError(res, e.status, -32700, e.error);
  }

  private reject(res: ServerResponse, reason: RejectReason, status: number, message: string): void {
    this.o.core.metrics.observeRejection(reason);
    jsonRpcError(res, status, -32000, message);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

type BodyError = { ok: false; status: number; error: string };

/**
 * Reads a JSON body of at most MAX_BODY bytes (event callbacks: cheaper than async iteration per
 * request). A body that sends nothing for `idleMs` is answered 408 rather than held forever.
 */
function readJson(req: IncomingMessage, idleMs: number): Promise<{ ok: true; value: unknown } | BodyError> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (c: Buffer): void => {
      timer?.refresh();
      size += c.length;
      if (size <= MAX_BODY) return void chunks.push(c);
      // Answer at once; the rest of the body is drained unbuffered.
      stop();
      req.resume();
      resolve({ ok: false, status: 413, error: 'Request body is larger than 4 MiB.' });
    };
    const onEnd = (): void => {
      stop();
      try {
        const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
        resolve({ ok: true, value: JSON.parse(text) });
      } catch {
        resolve({ ok: false, status: 400, error: 'Parse error: the body is not valid JSON.' });
      }
    };
    const onError = (e: Error): void => {
      stop();
      reject(e);
    };
    const timer: NodeJS.Timeout | undefined =
      idleMs > 0
        ? setTimeout(() => {
            stop();
            resolve({
              ok: false,
              status: 408,
              error: `Request body stalled: nothing received for ${Math.round(idleMs / 1000)} s.`,
            });
          }, idleMs)
        : undefined;
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}
