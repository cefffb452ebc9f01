// The long-lived host of `serve` and `up`: builds the gateway (HTTP, or stdio for clients that
// only launch commands) from the config, feeds it the upstreams the state store records, and
// follows state changes without a restart. It applies nothing itself; apply happens elsewhere.

import { type LoadedConfig, parseDuration } from '../config/index.js';
import { error, type Diagnostic, type Result } from '../diag/diagnostic.js';
import { redact } from '../diag/redact.js';
import {
  createGateway,
  gatewayOptionProblems,
  runStdioGateway,
  type Gateway,
  type GatewayAddress,
  type GatewayLogger,
  type GatewayOptions,
  type UpstreamSpec,
  type UpstreamStatus,
  type UnpinnedEvent,
  type VirtualServerSpec,
} from '../gateway/index.js';
import { stateLocation } from '../apply/session.js';
import { openStore } from '../state/open.js';
import type { StateStore } from '../state/store.js';
import { createConsole, type Console } from '../console/console.js';
import { resolveGatewayAuth, type ResolvedAuth } from './auth.js';
import { followState, type StateFollower } from './follow.js';
import { forgetServed, recordServed } from './served.js';
import { dockerClients, upstreamsFromRecords, type UpstreamContext } from './upstreams.js';
import { liveEndpointResolver } from './live-endpoints.js';
import { lockPathFor, lockStamp, readLock } from '../lock/file.js';

export interface HostOptions {
  config: LoadedConfig;
  store: StateStore;
  mode: 'http' | 'stdio';
  /** Overrides of gateway.host / gateway.port (flags). */
  host?: string;
  port?: number;
  /** Human-readable lines (stderr). */
  log: (line: string) => void;
  /** Values never printed. */
  sensitive?: Iterable<string>;
  /** State poll interval (default 1000 ms). */
  pollMs?: number;
}

export interface Host {
  /** The HTTP address (http mode). */
  readonly address?: GatewayAddress;
  readonly auth: ResolvedAuth;
  /** Rebuilds the upstream set from state now (call after an in-process apply). */
  refresh(): Promise<void>;
  /** Takes a new config (timeouts, concurrency); returns notes on settings that need a restart. */
  updateConfig(config: LoadedConfig): Promise<string[]>;
  /**
   * True when `next` changes what the gateway was started with (listen address, auth,
   * separator, virtual servers, HTTP limits): those take a new gateway (up starts one).
   */
  gatewaySettingsChanged(next: LoadedConfig): boolean;
  status(): UpstreamStatus[];
  /** Waits until every upstream finished its first connection attempt (false on timeout). */
  settled(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
  /** stdio mode: resolves when the client closes stdin. */
  readonly closed?: Promise<void>;
}

/** Gateway log lines for people: `warning: ...` and `gateway: ...` with key=value fields. */
export function humanLogger(
  write: (line: string) => void,
  sensitive: Iterable<string> = [],
  debug = process.env.CONTEXTFORGE_LOG_LEVEL === 'debug',
): GatewayLogger {
  const secrets = [...sensitive];
  const fmt =
    (prefix: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      const extra = fields
        ? Object.entries(fields)
            .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join('')
        : '';
      write(redact(`${prefix}${msg}${extra}`, secrets));
    };
  return {
    debug: debug ? fmt('gateway: ') : () => undefined,
    info: fmt('gateway: '),
    warn: fmt('warning: '),
    error: fmt('error: '),
  };
}

export function virtualServers(config: LoadedConfig): VirtualServerSpec[] {
  return (config.gateway.servers ?? []).map((s) => ({
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    ...(s.runtimes ? { runtimes: s.runtimes } : {}),
    ...(s.tools ? { tools: s.tools } : {}),
    ...(s.prompts ? { prompts: s.prompts } : {}),
    ...(s.resources ? { resources: s.resources } : {}),
  }));
}

/** One line per upstream for the operator: `quickstart: connected (3 tools, 1 prompt, 1 resource)`. */
export function upstreamLines(statuses: readonly UpstreamStatus[]): string[] {
  const n = (k: number, what: string): string => `${k} ${what}${k === 1 ? '' : 's'}`;
  return statuses.flatMap((u) => [
    u.state === 'connected'
      ? `  ${u.name}: connected (${n(u.tools, 'tool')}, ${n(u.prompts, 'prompt')}, ${n(u.resources, 'resource')})`
      : `  ${u.name}: ${u.state}${u.lastError ? ` (${u.lastError})` : ''}`,
    ...lockLines(u),
  ]);
}

/** `    lock (enforce): hidden: tool echo (differs from the lock), ...` for a runtime with mismatches. */
export function lockLines(u: UpstreamStatus): string[] {
  if (!u.lock?.unpinned.length) return [];
  const what = u.lock.unpinned
    .map(
      (x) =>
        `${x.kind.replace(/s$/, '').replace('_', ' ')} ${x.key} (${x.expected ? 'differs from the lock' : 'not in the lock'})`,
    )
    .join(', ');
  return [`    lock (${u.lock.mode}): ${u.lock.mode === 'enforce' ? 'hidden' : 'flagged'}: ${what}`];
}

function msOf(v: number | string | undefined): number | undefined {
  const s = parseDuration(v);
  return s === undefined ? undefined : Math.round(s * 1000);
}

/** Settings only a restart of the gateway picks up. */
function restartKey(c: LoadedConfig): string {
  const g = c.gateway;
  const http = [
    g.allowed_origins,
    g.allowed_hosts,
    g.metrics,
    g.max_sessions,
    g.max_sessions_per_principal,
    g.session_idle_timeout,
    g.headers_timeout,
    g.request_timeout,
    g.body_timeout,
  ];
  return JSON.stringify([g.host, g.port, g.auth, g.separator, g.servers, c.stack, g.console, http]);
}

export async function startHost(options: HostOptions): Promise<Result<Host>> {
  let config = options.config;
  const diags: Diagnostic[] = [];
  if (config.gateway.enabled === false && options.mode === 'http') {
    return {
      diags: [
        error('gateway.disabled', 'the gateway is disabled in this config (gateway.enabled: false)', {
          detail: 'Set gateway.enabled to true, or run apply instead of serve/up.',
        }),
      ],
    };
  }
  // Over stdio the client launched us itself: there is no listener to protect, and no token
  // file is created for it.
  const resolved: Result<ResolvedAuth> =
    options.mode === 'stdio'
      ? { value: { auth: { mode: 'none' }, source: 'none' }, diags: [] }
      : resolveGatewayAuth(config);
  if (!resolved.value) return { diags: resolved.diags };
  const auth = resolved.value;
  const logger = humanLogger(options.log, options.sensitive);
  const ctx: UpstreamContext = { config, docker: await dockerClients(config) };
  // contextforge.lock is re-read on every rebuild; an unreadable one keeps the last good lock.
  const readCurrentLock = (): void => {
    const r = readLock(lockPathFor(config.path));
    for (const d of r.diags) logger.warn(`${d.summary}; the gateway keeps enforcing the lock it read before`);
    if (!r.diags.length) ctx.lock = r.value;
  };
  // The state is a record of the backend: an upstream that goes down makes the host ask the
  // backend where the runtime runs now, and serve that when the record is behind.
  const live = liveEndpointResolver({
    stack: () => config.stack,
    backend: (name) => {
      const b = config.backends[name];
      const docker = ctx.docker?.(name);
      return b?.type === 'docker' && docker ? { docker, config: b } : undefined;
    },
    lockHolder: () => options.store.lockHolder(config.stack),
    onChange: () => follower?.refresh(),
    warn: (line) => logger.warn(line),
    debug: (line) => logger.debug(line),
  });
  const build = (records: Parameters<typeof upstreamsFromRecords>[0]): UpstreamSpec[] => {
    readCurrentLock();
    const set = upstreamsFromRecords(live.overlay(records), ctx);
    for (const s of set.skipped) logger.debug(`not serving ${s.runtime}: ${s.why}`);
    return set.upstreams;
  };
  const common = {
    separator: config.gateway.separator,
    callTimeoutMs: msOf(config.gateway.call_timeout),
    maxConcurrency: config.gateway.max_concurrency,
    logger,
    onUpstreamState: (runtime: string, state: string) => {
      if (state === 'failed') live.upstreamDown(runtime);
    },
    // A call that could not reach its upstream waits for the same lookup, made at once.
    resolveUnreachable: (runtime: string) => live.resolveNow(runtime),
    // Every mismatch with the lock lands in the audit log (`contextforge events --type tool.unpinned`).
    onUnpinned: (e: UnpinnedEvent) => {
      try {
        options.store.appendEvent({
          stack: config.stack,
          address: `runtime.${e.runtime}`,
          actor: 'gateway',
          type: 'tool.unpinned',
          data: {
            runtime: e.runtime,
            kind: e.kind,
            name: e.key,
            mode: e.mode,
            expected: e.expected ?? null,
            actual: e.actual,
            reason: `${e.kind.replace(/s$/, '')} ${e.key} ${e.expected ? 'differs from' : 'is not in'} contextforge.lock (${e.mode === 'enforce' ? 'hidden' : 'flagged'})`,
          },
        });
      } catch (err) {
        logger.warn(`recording tool.unpinned failed: ${(err as Error).message}`);
      }
    },
  };
  const initial = build(options.store.listRuntimes(config.stack));
  let follower: StateFollower | undefined;
  let stopGateway: () => Promise<void>;
  let setUpstreams: (s: UpstreamSpec[]) => Promise<void>;
  let status: () => UpstreamStatus[] = () => [];
  let settled: (ms: number) => Promise<boolean>;
  let address: GatewayAddress | undefined;
  let closed: Promise<void> | undefined;
  let operatorConsole: Console | undefined;

  if (options.mode === 'http') {
    // The operator console (API + UI) shares the listener and its auth; it reads the config the
    // host serves now, so a reload shows at once.
    if (config.gateway.console !== false)
      operatorConsole = createConsole({
        config: () => config,
        store: options.store,
        gatewayStatus: () => status(),
        warn: (line) => logger.warn(line),
      });
    const gwOptions: GatewayOptions = {
      ...common,
      host: options.host ?? config.gateway.host ?? '127.0.0.1',
      port: options.port ?? config.gateway.port ?? 4444,
      auth: auth.auth,
      virtualServers: virtualServers(config),
      allowedOrigins: config.gateway.allowed_origins,
      allowedHosts: config.gateway.allowed_hosts,
      metrics: config.gateway.metrics,
      maxSessions: config.gateway.max_sessions,
      maxSessionsPerPrincipal: config.gateway.max_sessions_per_principal,
      sessionIdleMs: msOf(config.gateway.session_idle_timeout),
      headersTimeoutMs: msOf(config.gateway.headers_timeout),
      requestTimeoutMs: msOf(config.gateway.request_timeout),
      bodyIdleTimeoutMs: msOf(config.gateway.body_timeout),
      extension: operatorConsole?.extension,
      readiness: () => {
        const h = follower?.health();
        if (!h || h.ok) return { ok: true, component: 'state' };
        const inMs = Math.max(0, (h.retryAt ?? Date.now()) - Date.now());
        return {
          ok: false,
          component: 'state',
          detail: `the state store fails (${h.lastError}); attempt ${h.failures + 1} in ${Math.ceil(inMs / 1000)}s`,
        };
      },
    };
    const problems = gatewayOptionProblems(gwOptions);
    if (problems.length) {
      await operatorConsole?.close();
      return { diags: problems.map((p) => error('gateway.invalid', p)) };
    }
    const gateway: Gateway = createGateway(gwOptions);
    try {
      address = await gateway.start();
    } catch (err) {
      await operatorConsole?.close();
      const e = err as NodeJS.ErrnoException;
      const where = `${gwOptions.host}:${gwOptions.port}`;
      const detail =
        e.code === 'EADDRINUSE'
          ? `Another process listens on ${where}; stop it, or pass --port (or set gateway.port).`
          : e.code === 'EACCES'
            ? `This user may not listen on ${where}; pick a port above 1023.`
            : 'Check gateway.host and gateway.port.';
      return {
        diags: [
          error('gateway.listen-failed', `the gateway cannot listen on ${where}: ${e.code ?? e.message}`, { detail }),
        ],
      };
    }
    for (const g of operatorConsole?.gauges ?? []) gateway.addGauge(g);
    await gateway.setUpstreams(initial);
    recordServed(config.dir, address.url);
    const servedDir = config.dir;
    stopGateway = async () => {
      forgetServed(servedDir);
      await gateway.stop();
    };
    setUpstreams = (s) => gateway.setUpstreams(s);
    status = () => gateway.status();
    settled = (ms) => gateway.settled(ms);
  } else {
    const stdio = await runStdioGateway({ ...common, upstreams: initial });
    stopGateway = () => stdio.stop();
    setUpstreams = (s) => stdio.setUpstreams(s);
    status = () => stdio.status();
    settled = async (ms) => {
      const until = Date.now() + ms;
      while (stdio.status().some((u) => !u.attempted) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      return stdio.status().every((u) => u.attempted);
    };
    closed = stdio.closed;
  }

  follower = followState({
    store: options.store,
    reopen: () => openStore(stateLocation(config)),
    stack: () => config.stack,
    build,
    apply: setUpstreams,
    stamp: () => lockStamp(lockPathFor(config.path)),
    intervalMs: options.pollMs,
    onError: (err) =>
      logger.warn(
        `following state failed: ${err.message}; retrying with backoff on a fresh connection (the gateway keeps serving what it has)`,
      ),
    onRecovered: () => logger.info('the state store answers again; following applies'),
  });
  // The settings the running gateway was started with; a reload that differs gets a note.
  const key = restartKey(config);
  const host: Host = {
    address,
    auth,
    closed,
    refresh: () => follower!.refresh(),
    gatewaySettingsChanged: (next) => restartKey(next) !== key,
    async updateConfig(next: LoadedConfig): Promise<string[]> {
      const notes: string[] = [];
      if (restartKey(next) !== key)
        notes.push(
          'gateway settings (listen address, auth, separator, virtual servers, HTTP limits) changed: restart to apply them',
        );
      config = next;
      ctx.config = next;
      ctx.docker = await dockerClients(next);
      await follower!.refresh();
      return notes;
    },
    status: () => status(),
    settled: (ms) => settled(ms),
    async stop() {
      live.stop();
      follower?.stop();
      follower = undefined;
      await operatorConsole?.close();
      await stopGateway();
    },
  };
  return { value: host, diags };
}
