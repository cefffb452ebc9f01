// createGateway: the HTTP gateway as one object with start/stop/setUpstreams/status. It
// validates options, binds the listener (127.0.0.1:4444 by default) with its header, request
// and session limits, and warns loudly when auth is off. Callers (serve/up) own where upstream
// specs come from.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { authDiagnostics, createAuthenticator } from './auth.js';
import { GatewayCore, coreOptionDiagnostics } from './core.js';
import { HttpHandler } from './http.js';
import type { GaugeSource } from './metrics.js';
import { RequestGuard } from './request-guard.js';
import type { GatewayOptions, UpstreamSpec, UpstreamStatus } from './types.js';

export interface GatewayAddress {
  host: string;
  port: number;
  /** Base URL, for example http://127.0.0.1:4444 (MCP at `${url}/mcp`). */
  url: string;
}

export interface Gateway {
  start(): Promise<GatewayAddress>;
  stop(): Promise<void>;
  /** Replaces the upstream set without a restart; connected clients get list_changed. */
  setUpstreams(specs: UpstreamSpec[]): Promise<void>;
  status(): UpstreamStatus[];
  /** Waits until every upstream finished its first connection attempt (or the timeout passes). */
  settled(timeoutMs?: number): Promise<boolean>;
  /** Prometheus text, the same as GET /metrics. */
  metricsText(): string;
  /** Adds gauges read at scrape time (the console's per-runtime status and usage). */
  addGauge(source: GaugeSource): void;
  /** Open downstream HTTP sessions (Streamable HTTP and legacy SSE). */
  sessionCount(): number;
  /** Calls `listener` with the open session count whenever it changes; returns an unsubscribe. */
  onSessionCount(listener: (count: number) => void): () => void;
  readonly address: GatewayAddress | undefined;
}

/** Thrown by start() when the options are invalid; `problems` are full sentences. */
export class GatewayConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Gateway options are not valid:\n- ${problems.join('\n- ')}`);
  }
}

/** Defaults of the HTTP limits; one place, read by start() and the docs. */
export const HTTP_DEFAULTS = {
  sessionIdleMs: 5 * 60_000,
  maxSessions: 1000,
  maxSessionsPerPrincipal: 100,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  bodyIdleTimeoutMs: 30_000,
} as const;

/** How long an idle client connection is kept open (node's default is 5 s). */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

/** Every problem with `options` as a diagnostic; empty when the gateway can start. */
export function gatewayOptionDiagnostics(options: GatewayOptions): Diagnostic[] {
  const d = [...coreOptionDiagnostics(options), ...authDiagnostics(options.auth)];
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port < 65536)) {
    d.push(
      error('gateway.port', `Gateway port ${options.port} is not a valid TCP port`, {
        detail: 'Use a port from 1 to 65535 (0 picks a free one).',
      }),
    );
  }
  for (const [key, name] of [
    ['maxSessions', 'max_sessions'],
    ['maxSessionsPerPrincipal', 'max_sessions_per_principal'],
  ] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
      d.push(
        error('gateway.session-limit', `Gateway ${name} must be a whole number of at least 1`, {
          detail: `Set ${name} to 1 or more.`,
        }),
      );
    }
  }
  const durations = [
    ['sessionIdleMs', 'session_idle_timeout'],
    ['headersTimeoutMs', 'headers_timeout'],
    ['requestTimeoutMs', 'request_timeout'],
    ['bodyIdleTimeoutMs', 'body_timeout'],
  ] as const;
  for (const [key, name] of durations) {
    const v = options[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      d.push(
        error('gateway.timeout', `Gateway ${name} must be a positive duration`, {
          detail: `Set ${name} to a duration such as 30s.`,
        }),
      );
    }
  }
  const headers = options.headersTimeoutMs ?? HTTP_DEFAULTS.headersTimeoutMs;
  const request = options.requestTimeoutMs ?? HTTP_DEFAULTS.requestTimeoutMs;
  if (headers > request) {
    d.push(
      error('gateway.timeout', 'Gateway headers_timeout is longer than request_timeout', {
        detail: 'The whole request includes its headers: make request_timeout at least headers_timeout.',
      }),
    );
  }
  return d;
}

/** The same problems as sentences (summary, then how to fix it); empty when usable. */
export function gatewayOptionProblems(options: GatewayOptions): string[] {
  return gatewayOptionDiagnostics(options).map((d) => (d.detail ? `${d.summary}. ${d.detail}` : `${d.summary}.`));
}

export function createGateway(options: GatewayOptions): Gateway {
  const core = new GatewayCore(options);
  const log = core.logger;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 4444;
  let http: HttpServer | undefined;
  let handler: HttpHandler | undefined;
  let address: GatewayAddress | undefined;
  const sessionListeners = new Set<(count: number) => void>();

  return {
    get address() {
      return address;
    },
    async start() {
      const problems = gatewayOptionProblems(options);
      if (problems.length) throw new GatewayConfigError(problems);
      if (http) throw new Error('Gateway already started.');
      const auth = createAuthenticator(options.auth);
      if (auth.mode === 'none') {
        log.warn(
          `Gateway authentication is disabled (auth: none): anyone who can reach ${host}:${port} can call every tool.`,
        );
      }
      for (const v of options.virtualServers ?? []) {
        if (core.federation.has(v.name))
          log.warn('virtual server shadows a runtime of the same name', { name: v.name });
      }
      const h = { ...HTTP_DEFAULTS, ...definedOnly(options) };
      const guard = new RequestGuard({
        listenHost: host,
        port: () => address?.port ?? port,
        allowedOrigins: options.allowedOrigins,
        allowedHosts: options.allowedHosts,
      });
      handler = new HttpHandler({
        core,
        auth,
        guard,
        virtualServers: options.virtualServers ?? [],
        sessionIdleMs: h.sessionIdleMs,
        maxSessions: h.maxSessions,
        maxSessionsPerPrincipal: h.maxSessionsPerPrincipal,
        metrics: options.metrics ?? 'auth',
        // setTimeout fires at once past 2^31-1 ms; a longer stall limit means "practically never".
        bodyIdleMs: Math.min(h.bodyIdleTimeoutMs, 2_147_483_647),
        extension: options.extension,
        readiness: options.readiness,
      });
      handler.sessions.onCount((n) => {
        for (const l of sessionListeners) l(n);
      });
      // node:http's requestTimeout bounds receiving a request (headers and body), not the
      // response, so long-lived SSE and GET streams are unaffected. The check runs on an
      // interval; a quarter of the shorter limit keeps the overshoot small. The defaults are
      // node's own (60 s, 300 s): a loaded host that stalls for seconds must not cut requests
      // that are on their way (shorter limits did, in the isolation e2e at load 20 on 2 cores).
      const srv = createServer(
        {
          headersTimeout: h.headersTimeoutMs,
          requestTimeout: h.requestTimeoutMs,
          // An idle keep-alive socket is closed by a timer; a request already in the kernel
          // buffer when a stalled event loop wakes loses that race (the timer runs first) and
          // the client sees "other side closed". Node's 5 s made that a matter of a 5 s stall
          // at load 20 (isolation e2e in CI); 30 s, told to clients in the Keep-Alive header,
          // takes a stall six times longer. Idle sockets cost a file descriptor each.
          keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
          connectionsCheckingInterval: Math.max(
            100,
            Math.min(30_000, Math.floor(Math.min(h.headersTimeoutMs, h.requestTimeoutMs) / 4)),
          ),
        },
        handler.handle,
      );
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, host, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      http = srv;
      const a = srv.address() as AddressInfo;
      const shownHost = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      address = { host: a.address, port: a.port, url: `http://${shownHost}:${a.port}` };
      log.info('gateway listening', { url: address.url, auth: auth.mode });
      return address;
    },
    async stop() {
      await handler?.closeAll();
      await core.closeServers();
      await core.federation.stop();
      const srv = http;
      http = undefined;
      if (srv) {
        srv.closeAllConnections();
        await new Promise<void>((r) => srv.close(() => r()));
      }
      address = undefined;
    },
    setUpstreams: (specs) => core.federation.setUpstreams(specs),
    status: () => core.federation.status(),
    async settled(timeoutMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
      const done = core.federation.settled().then(() => true);
      const ok = await Promise.race([done, timeout]);
      clearTimeout(timer);
      return ok;
    },
    metricsText: () => core.metrics.render(),
    addGauge: (source) => core.metrics.addGauge(source),
    sessionCount: () => handler?.sessionCount ?? 0,
    onSessionCount(listener) {
      sessionListeners.add(listener);
      return () => void sessionListeners.delete(listener);
    },
  };
}

/** The options that are set, so spreading them over defaults keeps a default where one is undefined. */
function definedOnly(o: GatewayOptions): Partial<Record<keyof typeof HTTP_DEFAULTS, number>> {
  const out: Partial<Record<keyof typeof HTTP_DEFAULTS, number>> = {};
  for (const k of Object.keys(HTTP_DEFAULTS) as Array<keyof typeof HTTP_DEFAULTS>) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
