// createGateway: the HTTP gateway as one object with start/stop/setUpstreams/status. It
// validates options, binds the listener (127.0.0.1:4444 by default) and warns loudly when
// auth is off. Callers (serve/up) own where upstream specs come from.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { authDiagnostics, createAuthenticator } from './auth.js';
import { GatewayCore, coreOptionDiagnostics } from './core.js';
import { HttpHandler } from './http.js';
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
  readonly address: GatewayAddress | undefined;
}

/** Thrown by start() when the options are invalid; `problems` are full sentences. */
export class GatewayConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Gateway options are not valid:\n- ${problems.join('\n- ')}`);
  }
}

/** Every problem with `options` as a diagnostic; empty when the gateway can start. */
export function gatewayOptionDiagnostics(options: GatewayOptions): Diagnostic[] {
  const d = [...coreOptionDiagnostics(options), ...authDiagnostics(options.auth)];
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port < 65536)) {
    d.push(error('gateway.port', `Gateway port ${options.port} is not a valid TCP port`, { detail: 'Use a port from 1 to 65535 (0 picks a free one).' }));
  }
  return d;
}

/** The same problems as sentences (summary, then how to fix it); empty when usable. */
export function gatewayOptionProblems(options: GatewayOptions): string[] {
  return gatewayOptionDiagnostics(options).map((d) => (d.detail ? `${d.summary}. ${d.detail}` : `${d.summary}.`));
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function createGateway(options: GatewayOptions): Gateway {
  const core = new GatewayCore(options);
  const log = core.logger;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 4444;
  let http: HttpServer | undefined;
  let handler: HttpHandler | undefined;
  let address: GatewayAddress | undefined;

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
        log.warn(`Gateway authentication is disabled (auth: none): anyone who can reach ${host}:${port} can call every tool.`);
      }
      for (const v of options.virtualServers ?? []) {
        if (core.federation.has(v.name)) log.warn('virtual server shadows a runtime of the same name', { name: v.name });
      }
      handler = new HttpHandler({
        core,
        auth,
        virtualServers: options.virtualServers ?? [],
        sessionIdleMs: options.sessionIdleMs,
        // Without auth, a loopback gateway only answers loopback Host names (DNS-rebinding guard).
        allowedHostnames: auth.mode === 'none' && LOOPBACK.has(host) ? ['127.0.0.1', 'localhost', '[::1]'] : undefined,
      });
      const srv = createServer(handler.handle);
      // SSE and standalone GET streams are long-lived; node's default request timeout would cut them.
      srv.requestTimeout = 0;
      srv.headersTimeout = 60_000;
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
  };
}
