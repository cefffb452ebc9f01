// The transport-independent heart shared by the HTTP and stdio gateways: the federation of
// upstreams, the metrics, option defaults, and the set of live downstream servers that
// receive list_changed notifications. No sockets here.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import type { View } from './catalog.js';
import { createDownstreamServer, type DirectHandler } from './downstream.js';
import type { DownstreamPeer } from './peer.js';
import { Federation } from './federation.js';
import { GatewayMetrics } from './metrics.js';
import { validSeparator } from './names.js';
import type { ListKind } from './upstream.js';
import type { GatewayLogger, GatewayOptions, UnpinnedEvent, UpstreamState } from './types.js';

export interface CoreOptions {
  separator?: string;
  callTimeoutMs?: number;
  maxConcurrency?: number;
  pingIntervalMs?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  logger?: GatewayLogger;
  onUnpinned?: (e: UnpinnedEvent) => void;
  /** An upstream session changed state (connecting, connected, failed): each attempt reports. */
  onUpstreamState?: (runtime: string, state: UpstreamState) => void;
  /** A call could not reach `runtime`'s upstream: look up where it runs now (see GatewayOptions). */
  resolveUnreachable?: (runtime: string) => Promise<void>;
}

export class GatewayCore {
  readonly federation: Federation;
  readonly metrics = new GatewayMetrics();
  readonly logger: GatewayLogger;
  private readonly servers = new Map<Server, { transport: string; peer: DownstreamPeer; direct: DirectHandler }>();
  /** Mismatches with contextforge.lock reported so far, per runtime (a counter for /metrics). */
  private readonly unpinnedReported = new Map<string, number>();

  constructor(opts: CoreOptions) {
    this.logger = opts.logger ?? stderrLogger();
    this.federation = new Federation({
      separator: opts.separator ?? '__',
      logger: this.logger,
      onStateChange: opts.onUpstreamState,
      resolveUnreachable: opts.resolveUnreachable,
      onUnpinned: (e) => {
        this.unpinnedReported.set(e.runtime, (this.unpinnedReported.get(e.runtime) ?? 0) + 1);
        this.logger.warn('tool.unpinned', {
          runtime: e.runtime,
          kind: e.kind,
          name: e.key,
          mode: e.mode,
          expected: e.expected ?? '(not in the lock)',
          actual: e.actual,
        });
        opts.onUnpinned?.(e);
      },
      defaults: {
        callTimeoutMs: opts.callTimeoutMs ?? 60_000,
        maxConcurrency: opts.maxConcurrency ?? 16,
        pingIntervalMs: opts.pingIntervalMs ?? 15_000,
        backoffInitialMs: opts.backoff?.initialMs ?? 500,
        backoffMaxMs: opts.backoff?.maxMs ?? 30_000,
      },
    });
    this.federation.onChange((kinds) => this.broadcast(kinds));
    this.metrics.addGauge({
      name: 'contextforge_gateway_upstream_up',
      help: '1 when the upstream session is connected, else 0.',
      collect: () =>
        this.federation.status().map((s) => ({
          labels: { runtime: s.name, transport: s.transport },
          value: s.state === 'connected' ? 1 : 0,
        })),
    });
    this.metrics.addGauge({
      name: 'contextforge_gateway_inflight_requests',
      help: 'Requests currently running against each upstream.',
      collect: () => this.federation.status().map((s) => ({ labels: { runtime: s.name }, value: s.inFlight })),
    });
    this.metrics.addGauge({
      name: 'contextforge_gateway_queue_depth',
      help: 'Requests waiting for a concurrency slot, per upstream.',
      collect: () => this.federation.status().map((s) => ({ labels: { runtime: s.name }, value: s.queued })),
    });
    this.metrics.addGauge({
      name: 'contextforge_gateway_upstream_links',
      help: 'Upstream sessions of their own held by downstream sessions (a server process each on stdio runtimes), per upstream.',
      collect: () => this.federation.list().map((s) => ({ labels: { runtime: s.name }, value: s.linkCount })),
    });
    this.metrics.addGauge({
      name: 'contextforge_gateway_unpinned_definitions',
      help: 'Listed tools, prompts and resources that differ from contextforge.lock now, per upstream and lock mode (hidden under enforce, flagged under warn).',
      collect: () =>
        this.federation
          .status()
          .filter((s) => s.lock)
          .map((s) => ({ labels: { runtime: s.name, mode: s.lock!.mode }, value: s.lock!.unpinned.length })),
    });
    this.metrics.addGauge({
      name: 'contextforge_gateway_unpinned_events_total',
      help: 'Mismatches with contextforge.lock reported (event tool.unpinned), per upstream, since the gateway started.',
      collect: () => [...this.unpinnedReported].map(([runtime, value]) => ({ labels: { runtime }, value })),
    });
    this.metrics.addGauge({
      name: 'contextforge_gateway_downstream_sessions',
      help: 'Connected downstream MCP sessions, by transport.',
      collect: () => {
        const counts = new Map<string, number>();
        for (const { transport: t } of this.servers.values()) counts.set(t, (counts.get(t) ?? 0) + 1);
        return [...counts].map(([transport, value]) => ({ labels: { transport }, value }));
      },
    });
  }

  /** A new Server for one downstream session, registered for notifications until it closes. */
  openServer(view: View, transport: string): Server {
    const { server, peer, direct } = createDownstreamServer(
      { federation: this.federation, metrics: this.metrics, logger: this.logger },
      view,
    );
    this.servers.set(server, { transport, peer, direct });
    return server;
  }

  /** The fast-path entry of a server from openServer (see DirectHandler). */
  directFor(server: Server): DirectHandler | undefined {
    return this.servers.get(server)?.direct;
  }

  /** The session is gone: its upstream links (own server processes, HTTP sessions) end too. */
  forgetServer(server: Server): void {
    const entry = this.servers.get(server);
    this.servers.delete(server);
    void entry?.peer.close();
  }

  async closeServers(): Promise<void> {
    const all = [...this.servers];
    this.servers.clear();
    await Promise.all(all.map(([s, { peer }]) => Promise.all([s.close().catch(() => undefined), peer.close()])));
  }

  private broadcast(kinds: ListKind[]): void {
    for (const server of this.servers.keys()) {
      // A session that has not finished initializing cannot take notifications yet; it will list anyway.
      if (!server.getClientCapabilities()) continue;
      const send = (p: Promise<void>): void => void p.catch(() => undefined);
      if (kinds.includes('tools')) send(server.sendToolListChanged());
      if (kinds.includes('prompts')) send(server.sendPromptListChanged());
      if (kinds.includes('resources')) send(server.sendResourceListChanged());
    }
  }
}

/** Problems with gateway options other than auth (auth.ts checks that); empty when usable. */
export function coreOptionDiagnostics(
  o: Pick<GatewayOptions, 'separator' | 'virtualServers' | 'callTimeoutMs' | 'maxConcurrency'>,
): Diagnostic[] {
  const d: Diagnostic[] = [];
  if (o.separator !== undefined && !validSeparator(o.separator)) {
    d.push(
      error('gateway.separator', `Gateway separator '${o.separator}' is not allowed`, {
        detail: 'Use 1-8 characters from [a-zA-Z0-9_-] so federated names stay valid tool names.',
      }),
    );
  }
  const seen = new Set<string>();
  for (const v of o.virtualServers ?? []) {
    if (!/^[a-zA-Z0-9_.-]{1,64}$/.test(v.name)) {
      d.push(
        error('gateway.virtual-server-name', `Virtual server name '${v.name}' is not allowed`, {
          detail: 'Use [a-zA-Z0-9_.-], at most 64 characters.',
        }),
      );
    }
    if (seen.has(v.name))
      d.push(
        error('gateway.virtual-server-duplicate', `Virtual server '${v.name}' is declared twice`, {
          detail: 'Give each virtual server its own name.',
        }),
      );
    seen.add(v.name);
  }
  if (o.callTimeoutMs !== undefined && !(o.callTimeoutMs > 0)) {
    d.push(
      error('gateway.call-timeout', 'Gateway call timeout must be positive', { detail: 'Set a duration such as 60s.' }),
    );
  }
  if (o.maxConcurrency !== undefined && !(Number.isInteger(o.maxConcurrency) && o.maxConcurrency >= 1)) {
    d.push(
      error('gateway.max-concurrency', 'Gateway max_concurrency must be a whole number of at least 1', {
        detail: 'Set max_concurrency to 1 or more.',
      }),
    );
  }
  return d;
}

/** Default logger: one JSON line per event on stderr (stdout may carry MCP in stdio mode). */
export function stderrLogger(
  level: 'debug' | 'info' | 'warn' | 'error' = process.env.CONTEXTFORGE_LOG_LEVEL === 'debug' ? 'debug' : 'info',
): GatewayLogger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 } as const;
  const write =
    (l: keyof typeof order) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (order[l] < order[level]) return;
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), level: l, component: 'gateway', msg, ...fields })}\n`,
      );
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
