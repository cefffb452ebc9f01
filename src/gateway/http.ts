// The downstream HTTP surface on node:http: Streamable HTTP at /mcp and /servers/<name>/mcp,
// legacy HTTP+SSE at /sse + /messages (also under /servers/<name>/), and the unauthenticated
// /healthz, /readyz and /metrics. It routes and authenticates; MCP semantics live in the SDK
// transports and in downstream.ts.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Authenticator } from './auth.js';
import { viewKey, type View } from './catalog.js';
import type { GatewayCore } from './core.js';
import { JsonFastPathTransport } from './json-fast-path.js';
import type { VirtualServerSpec } from './types.js';

const MAX_BODY = 4 * 1024 * 1024;

interface Session {
  kind: 'streamable' | 'sse';
  view: string;
  server: Server;
  transport: JsonFastPathTransport | SSEServerTransport;
  lastSeen: number;
  /** Open long-lived GET streams; a session with one is connected even when quiet. */
  openStreams: number;
}

export interface HttpHandlerOptions {
  core: GatewayCore;
  auth: Authenticator;
  virtualServers: VirtualServerSpec[];
  /** When set, MCP requests must carry one of these Host names (DNS-rebinding guard). */
  allowedHostnames?: string[];
  /** Streamable HTTP sessions with no request and no open stream for this long are closed; default 30 min. */
  sessionIdleMs?: number;
}

export class HttpHandler {
  private readonly sessions = new Map<string, Session>();
  private readonly virtual: Map<string, VirtualServerSpec>;

  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly o: HttpHandlerOptions) {
    this.virtual = new Map(o.virtualServers.map((v) => [v.name, v]));
    // Clients that vanish without DELETE would otherwise keep their session forever.
    const idle = o.sessionIdleMs ?? 30 * 60_000;
    this.sweeper = setInterval(() => this.sweep(idle), Math.min(60_000, idle)).unref();
  }

  private sweep(idleMs: number): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) {
      if (s.kind === 'streamable' && s.openStreams === 0 && now - s.lastSeen > idleMs) {
        this.sessions.delete(id);
        void s.server.close().catch(() => undefined);
      }
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.server.close().catch(() => undefined)));
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res).catch((e: unknown) => {
      this.o.core.logger.error('request failed', { path: req.url, error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) json(res, 500, { error: 'Internal gateway error.' });
      else res.end();
    });
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') return this.readyz(res);
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(this.o.core.metrics.render());
      return;
    }
    if (this.o.allowedHostnames && !hostAllowed(req.headers.host, this.o.allowedHostnames)) {
      return json(res, 403, { error: 'Host header not allowed.' });
    }
    const verdict = this.o.auth.check(req.headers.authorization);
    if (!verdict.ok) {
      const params = verdict.invalidToken ? `, error="invalid_token", error_description="${verdict.reason}"` : '';
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="contextforge"${params}` });
      res.end(JSON.stringify({ error: verdict.reason }));
      return;
    }
    const m = /^(?:\/servers\/([^/]+))?\/(mcp|sse|messages)$/.exec(path);
    if (!m) return json(res, 404, { error: `No route for ${path}. MCP is served at /mcp, /sse and /servers/<name>/mcp.` });
    const view = this.resolveView(m[1] === undefined ? undefined : decodeURIComponent(m[1]));
    if (!view) return json(res, 404, { error: `No runtime or virtual server named '${decodeURIComponent(m[1])}'.` });
    const prefix = m[1] === undefined ? '' : `/servers/${m[1]}`;
    if (m[2] === 'mcp') return this.streamable(req, res, view);
    if (m[2] === 'sse') return this.sseOpen(req, res, view, `${prefix}/messages`);
    return this.ssePost(req, res, url, view);
  }

  /** Virtual servers win over runtimes of the same name; the gateway warns about such clashes at start. */
  private resolveView(name: string | undefined): View | undefined {
    if (name === undefined) return { kind: 'federated' };
    const v = this.virtual.get(name);
    if (v) return { kind: 'virtual', spec: v };
    if (this.o.core.federation.has(name)) return { kind: 'runtime', name };
    return undefined;
  }

  private readyz(res: ServerResponse): void {
    const upstreams = this.o.core.federation.status();
    // Ready once every upstream is connected or has failed with a reason after trying.
    const ready = upstreams.every((u) => u.state === 'connected' || (u.attempted && u.lastError !== undefined));
    json(res, ready ? 200 : 503, { ready, upstreams: upstreams.map((u) => ({ name: u.name, state: u.state, lastError: u.lastError })) });
  }

  private async streamable(req: IncomingMessage, res: ServerResponse, view: View): Promise<void> {
    let body: unknown;
    if (req.method === 'POST') {
      const parsed = await readJson(req);
      if (!parsed.ok) return jsonRpcError(res, parsed.status, -32700, parsed.error);
      body = parsed.value;
    }
    const sid = header(req, 'mcp-session-id');
    if (sid) {
      const s = this.sessions.get(sid);
      if (!s || s.kind !== 'streamable' || s.view !== viewKey(view)) return jsonRpcError(res, 404, -32001, 'Session not found. Initialize a new session.');
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
    const initializing = req.method === 'POST' && (isInitializeRequest(body) || (Array.isArray(body) && body.some((b) => isInitializeRequest(b))));
    if (!initializing) return jsonRpcError(res, 400, -32000, 'Bad request: no valid session id; send initialize first.');
    const server = this.o.core.openServer(view, 'streamable-http');
    // Requests that want no progress are answered as plain JSON (JsonFastPathTransport); the
    // SDK transport keeps SSE for the rest, and the whole protocol surface.
    const transport: JsonFastPathTransport = new JsonFastPathTransport(new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        this.sessions.set(id, { kind: 'streamable', view: viewKey(view), server, transport, lastSeen: Date.now(), openStreams: 0 });
      },
    }));
    server.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
      this.o.core.forgetServer(server);
    };
    await server.connect(transport);
    await transport.inner.handleRequest(req, res, body);
  }

  private async sseOpen(req: IncomingMessage, res: ServerResponse, view: View, endpoint: string): Promise<void> {
    if (req.method !== 'GET') return json(res, 405, { error: 'Use GET to open the SSE stream.' });
    const transport = new SSEServerTransport(endpoint, res);
    const server = this.o.core.openServer(view, 'sse');
    this.sessions.set(transport.sessionId, { kind: 'sse', view: viewKey(view), server, transport, lastSeen: Date.now(), openStreams: 1 });
    // The SDK's legacy SSE transport sends nothing while idle; proxies cut silent streams, so a
    // comment frame (ignored by clients) goes out every 15 s.
    const keepAlive = setInterval(() => {
      if (!res.writableEnded) res.write(': keep-alive\n\n');
    }, 15_000).unref();
    server.onclose = () => {
      clearInterval(keepAlive);
      this.sessions.delete(transport.sessionId);
      this.o.core.forgetServer(server);
    };
    await server.connect(transport);
  }

  private async ssePost(req: IncomingMessage, res: ServerResponse, url: URL, view: View): Promise<void> {
    if (req.method !== 'POST') return json(res, 405, { error: 'Use POST to send messages.' });
    const s = this.sessions.get(url.searchParams.get('sessionId') ?? '');
    if (!s || s.kind !== 'sse' || s.view !== viewKey(view)) return json(res, 404, { error: 'Session not found. Open a new SSE stream.' });
    const parsed = await readJson(req);
    if (!parsed.ok) return jsonRpcError(res, parsed.status, -32700, parsed.error);
    await (s.transport as SSEServerTransport).handlePostMessage(req, res, parsed.value);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function hostAllowed(host: string | undefined, allowed: string[]): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return allowed.includes(name.toLowerCase());
}

/** Reads a JSON body of at most MAX_BODY bytes (event callbacks: cheaper than async iteration per request). */
function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; status: number; error: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size <= MAX_BODY) return void chunks.push(c);
      // Answer at once; the rest of the body is drained unbuffered.
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume();
      resolve({ ok: false, status: 413, error: 'Request body is larger than 4 MiB.' });
    };
    const onEnd = (): void => {
      try {
        const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
        resolve({ ok: true, value: JSON.parse(text) });
      } catch {
        resolve({ ok: false, status: 400, error: 'Parse error: the body is not valid JSON.' });
      }
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}
