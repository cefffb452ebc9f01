// One long-lived MCP client session per upstream: connect, cache its lists, refresh them on
// list_changed, detect a dropped connection (close, failed call, failed ping) and reconnect
// with bounded backoff. Requests go through a FIFO limiter and a per-call timeout; a request on
// behalf of a downstream session runs on that session's own link (link.ts), opened lazily.
// A Streamable HTTP upstream has one undici Pool that all its sessions share (http-upstream.ts).
// It must never open a session per call, and never block one upstream on another.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  McpError,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { Pool, errors as undiciErrors } from 'undici';
import { CallChannel } from './call-channel.js';
import { HttpUpstreamTransport } from './http-upstream.js';
import { Limiter } from './limiter.js';
import { bounded, type CallSignal } from './call-signal.js';
import { CLIENT_INFO, GATEWAY_CLIENT_CAPABILITIES, UpstreamLink, shutdownClient as shutdown } from './link.js';
import type { DownstreamPeer } from './peer.js';
import { scopedSignalFetch } from './scoped-fetch.js';
import type { GatewayLogger, UpstreamLock, UpstreamSpec, UpstreamState, UpstreamStatus } from './types.js';

export type ListKind = 'tools' | 'prompts' | 'resources';

export interface UpstreamCatalog {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  templates: ResourceTemplate[];
}

export interface UpstreamDefaults {
  callTimeoutMs: number;
  maxConcurrency: number;
  pingIntervalMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export interface UpstreamHooks {
  logger: GatewayLogger;
  /** The upstream's lists changed (after connect or list_changed). */
  onCatalogChange(name: string, kinds: ListKind[]): void;
  onStateChange(name: string, state: UpstreamState): void;
  /**
   * A request could not be delivered because the upstream could not be reached (it was never
   * sent): the session that serves the runtime now at a different endpoint, connected, if the
   * host's lookup found one within `ms`; undefined otherwise.
   */
  replacement?(session: UpstreamSession, ms: number, signal?: CallSignal): Promise<UpstreamSession | undefined>;
}

/** Thrown (and turned into a clear MCP error) when a call reaches an upstream that is down. */
export class UpstreamUnavailableError extends Error {
  constructor(
    readonly runtime: string,
    detail: string | undefined,
    /** The request never reached a server (no session, or the connection was refused): a retry elsewhere is safe. */
    readonly neverSent = false,
  ) {
    super(
      `Runtime '${runtime}' is unavailable${detail ? `: ${detail}` : ''}. The gateway reconnects automatically; retry later.`,
    );
  }
}

const STABLE_MS = 30_000;
const PING_TIMEOUT_MS = 10_000;
/**
 * Opening a downstream session's link (a handshake, and on stdio a server process to start) is
 * bounded on its own: a tight per-call timeout is meant for the call, not for starting a server.
 */
const LINK_OPEN_MIN_MS = 30_000;

/**
 * The options a routed request's function gets: the SDK's request options, with the caller's
 * cancellation as a CallSignal (an SDK call needs the caller's AbortSignal passed in instead).
 */
export type UpstreamCallOptions = Omit<RequestOptions, 'signal'> & { signal?: CallSignal };

type RequestOpts = { signal?: CallSignal; onprogress?: RequestOptions['onprogress']; peer?: DownstreamPeer };

export class UpstreamSession {
  catalog: UpstreamCatalog = { tools: [], prompts: [], resources: [], templates: [] };
  /** How many reads of each list have begun; a read commits only if it is still the newest. */
  private readonly readSeq: Record<ListKind, number> = { tools: 0, prompts: 0, resources: 0 };
  /** The upstream's own instructions from its last initialize, if any. */
  instructions: string | undefined;
  private client: Client | undefined;
  /** The shared session's channel (pass-through calls on the shared session). */
  private channel: CallChannel | undefined;
  /** Keep-alive connections to a Streamable HTTP upstream, shared by the session and every link. */
  private pool: Pool | undefined;
  /** The client of an attempt still in progress, so close() can cut it short. */
  private connecting: Client | undefined;
  private state: UpstreamState = 'connecting';
  private attempted = false;
  private lastError: string | undefined;
  private since = new Date();
  private failures = 0;
  private connectedAt = 0;
  /** Last time the upstream answered anything on the current session. */
  private lastAnswerAt = 0;
  private generation = 0;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly limiter: Limiter;
  private readonly firstAttempt: Promise<void>;
  private connectedWaiters: Array<() => void> = [];
  /** Lists whose list_changed arrived before the session was connected. */
  private readonly refreshOnConnect = new Set<ListKind>();
  /** Per downstream session, its own upstream session of the current generation. */
  private readonly links = new Map<DownstreamPeer, { gen: number; link: Promise<UpstreamLink> }>();
  private settleFirst!: () => void;

  constructor(
    readonly spec: UpstreamSpec,
    private readonly defaults: UpstreamDefaults,
    private readonly hooks: UpstreamHooks,
  ) {
    this.limiter = new Limiter(spec.maxConcurrency ?? defaults.maxConcurrency);
    this.firstAttempt = new Promise((r) => (this.settleFirst = r));
  }

  get name(): string {
    return this.spec.name;
  }

  /**
   * A new contextforge.lock entry for this runtime, applied in place: what the gateway hides or
   * flags is read from spec.lock at each list, so the connection and every client's link stay.
   */
  relock(lock: UpstreamLock | undefined): void {
    this.spec.lock = lock;
  }

  get timeoutMs(): number {
    return this.spec.callTimeoutMs ?? this.defaults.callTimeoutMs;
  }

  start(): void {
    void this.attempt();
  }

  /** Resolves once the first connection attempt has finished, successful or not. */
  settled(): Promise<void> {
    return this.firstAttempt;
  }

  status(): UpstreamStatus {
    return {
      name: this.spec.name,
      transport: this.spec.transport,
      state: this.state,
      attempted: this.attempted,
      lastError: this.lastError,
      since: this.since.toISOString(),
      failures: this.failures,
      tools: this.catalog.tools.length,
      prompts: this.catalog.prompts.length,
      resources: this.catalog.resources.length + this.catalog.templates.length,
      inFlight: this.limiter.inFlight,
      queued: this.limiter.queued,
    };
  }

  /** What the upstream declared in its last initialize (empty while not connected). */
  get capabilities(): ReturnType<Client['getServerCapabilities']> & object {
    return this.client?.getServerCapabilities() ?? {};
  }

  /** Downstream sessions that currently have their own link to this upstream. */
  get linkCount(): number {
    return this.links.size;
  }

  /**
   * Runs one upstream request under the limiter and the per-call timeout. With a `peer`, the
   * request runs on that downstream session's own link (unless the connector reaches a single
   * shared server). A transport-level failure of the shared session marks it lost and starts
   * reconnecting; a failed link is dropped and reopened by the next request; protocol errors
   * pass through.
   */
  async request<T>(
    fn: (client: Client, options: UpstreamCallOptions, channel: CallChannel) => Promise<T>,
    opts: RequestOpts = {},
  ): Promise<T> {
    const started = Date.now();
    // A session opening for the first time (a new upstream, or one replaced by a spec change)
    // already lists its tools (a replacement keeps its predecessor's lists): a call to it waits
    // for the handshake, within its timeout, instead of failing at once. An upstream known to be
    // down keeps failing fast while it reconnects.
    if (!this.attempted && this.state === 'connecting') await bounded(this.firstAttempt, this.timeoutMs, opts.signal);
    try {
      return await this.deliver(fn, opts);
    } catch (e) {
      // Never sent (the upstream could not be reached): the host may know where the runtime runs
      // now (a state record behind the backend). Delivered there once; else the same error.
      if (!(e instanceof UpstreamUnavailableError) || !e.neverSent || !this.hooks.replacement || opts.signal?.aborted)
        throw e;
      const next = await this.hooks.replacement(this, this.timeoutMs - (Date.now() - started), opts.signal);
      if (!next || next === this) throw e;
      return next.deliver(fn, opts);
    }
  }

  private async deliver<T>(
    fn: (client: Client, options: UpstreamCallOptions, channel: CallChannel) => Promise<T>,
    opts: RequestOpts,
  ): Promise<T> {
    if (this.state !== 'connected' || !this.client)
      throw new UpstreamUnavailableError(this.name, this.lastError ?? this.state, true);
    return this.limiter.run(async () => {
      const started = Date.now();
      for (let attempt = 0; ; attempt++) {
        const main = this.client;
        if (this.state !== 'connected' || !main || !this.channel)
          throw new UpstreamUnavailableError(this.name, this.lastError ?? this.state, true);
        const gen = this.generation;
        const peer = opts.peer && !this.spec.stdio?.singleSession ? opts.peer : undefined;
        let client = main;
        let channel = this.channel;
        if (peer) {
          try {
            try {
              ({ client, channel } = await this.linkFor(peer, gen));
            } catch (e) {
              // A pooled keep-alive socket the upstream closed while this (starved) process had
              // not yet seen the close: the initialize found it shut. Opening a session is safe
              // to repeat (a stray one expires on the server), so once more on a new socket.
              if (opts.signal?.aborted || !socketClosed(e)) throw e;
              ({ client, channel } = await this.linkFor(peer, gen));
            }
          } catch (e) {
            if (opts.signal?.aborted) throw e;
            this.probe(gen, main);
            throw new UpstreamUnavailableError(
              this.name,
              `could not open a session for this client: ${message(e)}`,
              refused(e),
            );
          }
        }
        try {
          const result = await fn(
            client,
            {
              signal: opts.signal,
              timeout: this.timeoutMs,
              onprogress: opts.onprogress,
              resetTimeoutOnProgress: opts.onprogress !== undefined,
            },
            channel,
          );
          this.lastAnswerAt = Date.now();
          return result;
        } catch (e) {
          if (e instanceof McpError && e.code !== ErrorCode.ConnectionClosed && e.code !== ErrorCode.RequestTimeout)
            this.lastAnswerAt = Date.now();
          // The upstream forgot our session (it restarted, or an idle instance went away): the
          // request was refused unprocessed, so one retry on a fresh session is safe.
          if (attempt === 0 && !opts.signal?.aborted && e instanceof StreamableHTTPError && e.code === 404) {
            if (peer) {
              this.dropLink(peer);
              continue;
            }
            this.lost(gen, 'The upstream no longer knows this session.');
            if (await this.waitConnected(this.timeoutMs - (Date.now() - started), opts.signal)) continue;
          }
          this.fail(e, gen, main, peer, opts.signal);
        }
      }
    }, opts.signal);
  }

  /** The link of `peer` for generation `gen`, opened on first use. */
  private linkFor(peer: DownstreamPeer, gen: number): Promise<UpstreamLink> {
    let entry = this.links.get(peer);
    if (entry && entry.gen !== gen) {
      this.dropLink(peer);
      entry = undefined;
    }
    if (!entry) {
      const opening = this.makeTransport().then((transport) =>
        UpstreamLink.open({
          runtime: this.name,
          peer,
          transport,
          openTimeoutMs: Math.max(this.timeoutMs, LINK_OPEN_MIN_MS),
          timeoutMs: this.timeoutMs,
          logger: this.hooks.logger,
          onEnd: () => {
            if (this.links.get(peer) === fresh) this.links.delete(peer);
          },
        }),
      );
      const fresh = { gen, link: opening };
      entry = fresh;
      this.links.set(peer, fresh);
      opening.catch(() => {
        if (this.links.get(peer) === fresh) this.links.delete(peer);
      });
    }
    return entry.link;
  }

  private dropLink(peer: DownstreamPeer): void {
    const entry = this.links.get(peer);
    if (!entry) return;
    this.links.delete(peer);
    void entry.link.then(
      (l) => l.close(),
      () => undefined,
    );
  }

  private closeLinks(): Promise<void> {
    const all = [...this.links.values()];
    this.links.clear();
    return Promise.all(
      all.map((e) =>
        e.link.then(
          (l) => l.close(),
          () => undefined,
        ),
      ),
    ).then(() => undefined);
  }

  /** Maps a failed request to the error the caller sees, noting a lost link on the way. */
  private fail(
    e: unknown,
    gen: number,
    main: Client,
    peer: DownstreamPeer | undefined,
    signal: CallSignal | undefined,
  ): never {
    if (signal?.aborted) throw e;
    if (e instanceof McpError && e.code !== ErrorCode.ConnectionClosed) throw e;
    if (e instanceof McpError || isConnectionError(e)) {
      // A dead link says little about the upstream: drop it and let the shared session check.
      if (peer) {
        this.dropLink(peer);
        this.probe(gen, main);
      } else {
        this.lost(gen, `Request failed: ${message(e)}`);
      }
      throw new UpstreamUnavailableError(this.name, message(e), refused(e));
    }
    // Anything else (a malformed result, say) is not proof of a dead link: check before blaming it.
    this.probe(gen, main);
    throw new McpError(ErrorCode.InternalError, `Runtime '${this.name}' returned an invalid response: ${message(e)}`);
  }

  /** Resolves true once connected (again), false after `ms` or on abort. */
  waitConnected(ms: number, signal?: CallSignal): Promise<boolean> {
    if (this.state === 'connected') return Promise.resolve(true);
    if (ms <= 0 || this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.connectedWaiters = this.connectedWaiters.filter((w) => w !== onConnected);
        resolve(ok);
      };
      const onConnected = (): void => done(true);
      const onAbort = (): void => done(false);
      const timer = setTimeout(() => done(false), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.connectedWaiters.push(onConnected);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.settleFirst();
    const clients = [this.client, this.connecting].filter((c): c is Client => c !== undefined);
    this.client = this.connecting = this.channel = undefined;
    await Promise.all([...clients.map(shutdown), this.closeLinks(), this.spec.stdio?.close?.().catch(() => undefined)]);
    // Sessions ended politely above; whatever is still open (GET streams) goes with the pool.
    await this.pool?.destroy().catch(() => undefined);
    this.pool = undefined;
  }

  private setState(state: UpstreamState, error?: string): void {
    this.lastError = error ?? (state === 'connected' ? undefined : this.lastError);
    if (state !== this.state) {
      this.state = state;
      this.since = new Date();
      this.hooks.onStateChange(this.name, state);
    }
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    const gen = ++this.generation;
    this.refreshOnConnect.clear();
    this.setState('connecting');
    // The shared session declares what links declare, so it lists the same tools; it has no
    // downstream client, so server-to-client requests on it get the SDK's MethodNotFound.
    const client = new Client(CLIENT_INFO, { capabilities: GATEWAY_CLIENT_CAPABILITIES });
    this.connecting = client;
    try {
      const channel = new CallChannel(await this.makeTransport());
      client.onclose = () => this.lost(gen, 'Connection closed.');
      client.onerror = (e) =>
        this.hooks.logger.debug('upstream transport error', { runtime: this.name, error: e.message });
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.refreshSoon(gen, 'tools'));
      client.setNotificationHandler(PromptListChangedNotificationSchema, () => this.refreshSoon(gen, 'prompts'));
      client.setNotificationHandler(ResourceListChangedNotificationSchema, () => this.refreshSoon(gen, 'resources'));
      await client.connect(channel, { timeout: this.timeoutMs });
      if (gen !== this.generation) {
        await shutdown(client);
        return;
      }
      this.client = client;
      this.channel = channel;
      this.connecting = undefined;
      this.instructions = client.getInstructions();
      const changed = await this.refresh(client, ['tools', 'prompts', 'resources']);
      if (gen !== this.generation) return;
      this.connectedAt = this.lastAnswerAt = Date.now();
      this.attempted = true;
      this.setState('connected');
      this.hooks.logger.info('upstream connected', {
        runtime: this.name,
        transport: this.spec.transport,
        tools: this.catalog.tools.length,
      });
      this.settleFirst();
      for (const w of this.connectedWaiters.splice(0)) w();
      this.startPing(gen, client);
      if (changed.length) this.hooks.onCatalogChange(this.name, changed);
      for (const kind of this.refreshOnConnect) this.refreshSoon(gen, kind);
      this.refreshOnConnect.clear();
    } catch (e) {
      if (this.connecting === client) this.connecting = undefined;
      if (gen !== this.generation) return;
      this.client = undefined;
      void shutdown(client);
      this.failures++;
      this.attempted = true;
      if (containerGone(e)) {
        // Replaced or destroyed: retrying this container id cannot work. The state follower
        // hands the gateway the runtime's new endpoint (a new upstream) when apply records it.
        this.setState('failed', 'The container is gone; waiting for the state to name its replacement.');
        this.hooks.logger.warn('upstream container gone', { runtime: this.name });
        this.settleFirst();
        return;
      }
      this.setState('failed', `Connection failed: ${message(e)}`);
      this.hooks.logger.warn('upstream connection failed', {
        runtime: this.name,
        error: this.lastError,
        failures: this.failures,
      });
      this.settleFirst();
      this.scheduleRetry();
    }
  }

  /** Marks the session of generation `gen` as lost; later generations are unaffected. */
  private lost(gen: number, reason: string): void {
    if (gen !== this.generation || this.closed || this.state !== 'connected') return;
    this.generation++;
    clearInterval(this.pingTimer);
    const client = this.client;
    this.client = this.channel = undefined;
    // Only a session that stayed up a while resets the backoff; a crash loop keeps growing it.
    if (Date.now() - this.connectedAt > STABLE_MS) this.failures = 0;
    this.failures++;
    this.setState('failed', reason);
    this.hooks.logger.warn('upstream lost', { runtime: this.name, reason });
    if (client) void shutdown(client);
    // Links belong to the lost generation: the upstream restarted or went away.
    void this.closeLinks();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    const base = Math.min(
      this.defaults.backoffMaxMs,
      this.defaults.backoffInitialMs * 2 ** Math.max(0, this.failures - 1),
    );
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.attempt(), delay);
    this.retryTimer.unref();
  }

  /**
   * Liveness check for quiet sessions. Any answer within the interval proves the link, so a busy
   * session is not pinged; a refused connection is fatal at once, but a slow upstream must miss
   * two pings in a row before its session (and the work in flight on it) is given up.
   */
  private startPing(gen: number, client: Client): void {
    clearInterval(this.pingTimer);
    const every = this.spec.pingIntervalMs ?? this.defaults.pingIntervalMs;
    if (every <= 0) return;
    let missed = 0;
    let pending = false;
    this.pingTimer = setInterval(() => {
      if (pending || Date.now() - this.lastAnswerAt < every) return;
      pending = true;
      client
        .ping({ timeout: PING_TIMEOUT_MS })
        .then(() => {
          missed = 0;
          this.lastAnswerAt = Date.now();
        })
        .catch((e: unknown) => {
          const slow = e instanceof McpError && e.code === ErrorCode.RequestTimeout;
          if (!slow || ++missed >= 2) this.lost(gen, `Ping failed: ${message(e)}`);
        })
        .finally(() => (pending = false));
    }, every);
    this.pingTimer.unref();
  }

  private probe(gen: number, client: Client): void {
    client.ping({ timeout: PING_TIMEOUT_MS }).catch((e: unknown) => this.lost(gen, `Ping failed: ${message(e)}`));
  }

  private refreshSoon(gen: number, kind: ListKind): void {
    const client = this.client;
    if (gen !== this.generation || !client) return;
    // A list_changed during the handshake (servers that register tools as a session starts) is
    // read once connected: a catalog must not list tools of a session that cannot take calls yet.
    if (this.state !== 'connected') {
      this.refreshOnConnect.add(kind);
      return;
    }
    this.refresh(client, [kind])
      .then((changed) => {
        if (changed.length && gen === this.generation) this.hooks.onCatalogChange(this.name, changed);
      })
      .catch((e: unknown) =>
        this.hooks.logger.warn('upstream list refresh failed', { runtime: this.name, kind, error: message(e) }),
      );
  }

  /**
   * Re-reads the given lists; returns the kinds whose content changed. Reads of different kinds
   * overlap (the first full read on connect, and a `list_changed` arriving meanwhile), so each
   * kind is committed onto the catalog as it is when its read ends, never onto a copy taken at
   * the start, and only when no newer read of the same kind began in between.
   */
  private async refresh(client: Client, kinds: ListKind[]): Promise<ListKind[]> {
    const caps = client.getServerCapabilities() ?? {};
    const opts = { timeout: this.timeoutMs };
    const seq = Object.fromEntries(kinds.map((k) => [k, ++this.readSeq[k]])) as Partial<Record<ListKind, number>>;
    const read: Partial<UpstreamCatalog> = {};
    if (kinds.includes('tools')) {
      read.tools = caps.tools
        ? await pages(
            (cursor) => client.request({ method: 'tools/list', params: { cursor } }, ListToolsResultSchema, opts),
            (r) => r.tools,
          )
        : [];
    }
    if (kinds.includes('prompts')) {
      read.prompts = caps.prompts
        ? await pages(
            (cursor) => client.request({ method: 'prompts/list', params: { cursor } }, ListPromptsResultSchema, opts),
            (r) => r.prompts,
          )
        : [];
    }
    if (kinds.includes('resources')) {
      read.resources = caps.resources
        ? await pages(
            (cursor) =>
              client.request({ method: 'resources/list', params: { cursor } }, ListResourcesResultSchema, opts),
            (r) => r.resources,
          )
        : [];
      read.templates = caps.resources
        ? await pages(
            (cursor) =>
              client.request(
                { method: 'resources/templates/list', params: { cursor } },
                ListResourceTemplatesResultSchema,
                opts,
              ),
            (r) => r.resourceTemplates,
          ).catch(() => [])
        : [];
    }
    const current = this.catalog;
    const next: UpstreamCatalog = { ...current };
    const changed: ListKind[] = [];
    const fresh = (k: ListKind): boolean => seq[k] === this.readSeq[k];
    if (read.tools && fresh('tools') && JSON.stringify(read.tools) !== JSON.stringify(current.tools)) {
      next.tools = read.tools;
      changed.push('tools');
    }
    if (read.prompts && fresh('prompts') && JSON.stringify(read.prompts) !== JSON.stringify(current.prompts)) {
      next.prompts = read.prompts;
      changed.push('prompts');
    }
    if (
      read.resources &&
      read.templates &&
      fresh('resources') &&
      JSON.stringify([read.resources, read.templates]) !== JSON.stringify([current.resources, current.templates])
    ) {
      next.resources = read.resources;
      next.templates = read.templates;
      changed.push('resources');
    }
    this.catalog = next;
    return changed;
  }

  private async makeTransport(): Promise<Transport> {
    const s = this.spec;
    if (s.transport === 'stdio') {
      if (!s.stdio) throw new Error(`Upstream '${s.name}' uses stdio but has no connector.`);
      return s.stdio.connect();
    }
    if (!s.url) throw new Error(`Upstream '${s.name}' uses ${s.transport} but has no url.`);
    const url = new URL(s.url);
    if (s.transport === 'sse') {
      // Legacy HTTP+SSE keeps the SDK transport: one long stream per session, rarely hot.
      const requestInit = s.headers ? { headers: s.headers } : undefined;
      return new SSEClientTransport(url, { requestInit, fetch: scopedSignalFetch() });
    }
    // Unlimited connections: each link's GET stream holds one, and calls must never queue
    // behind them (the limiter bounds calls). No body timeout: SSE streams idle by design, and
    // per-call timeouts and the liveness ping bound everything else.
    // Idle sockets are dropped after 4 s, before the 5 s of a node server (the common MCP server)
    // that sends no Keep-Alive hint on its SSE answers and closes them first otherwise.
    this.pool ??= new Pool(url.origin, { bodyTimeout: 0, keepAliveTimeout: 4_000 });
    // A stream ending early is reopened twice; the session loop owns reconnecting a dead upstream.
    return new HttpUpstreamTransport({ url, pool: this.pool, headers: s.headers, getStreamRetries: 2 });
  }
}

async function pages<R extends { nextCursor?: string }, T>(
  get: (cursor: string | undefined) => Promise<R>,
  pick: (r: R) => T[],
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const r = await get(cursor);
    out.push(...pick(r));
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  return out;
}

/** Whether e or an error it wraps (cause, AggregateError's errors; five levels) satisfies test. */
function inErrorChain(e: unknown, test: (err: Error & { code?: unknown }) => boolean, depth = 0): boolean {
  if (!(e instanceof Error) || depth > 5) return false;
  if (test(e)) return true;
  const nested = e as Error & { cause?: unknown; errors?: unknown };
  if (inErrorChain(nested.cause, test, depth + 1)) return true;
  return Array.isArray(nested.errors) && nested.errors.some((x) => inErrorChain(x, test, depth + 1));
}

/**
 * A refused connection: nothing was sent to a server, so the request can go elsewhere. Anything
 * else (a reset, a closed socket, a timeout) may have reached the server and is never retried.
 */
const refused = (e: unknown): boolean => inErrorChain(e, (x) => x.code === 'ECONNREFUSED');

/** A socket closed or reset by the other side before an answer (undici's SocketError, ECONNRESET). */
const socketClosed = (e: unknown): boolean =>
  inErrorChain(e, (x) => x.code === 'UND_ERR_SOCKET' || x.code === 'ECONNRESET' || /other side closed/.test(x.message));

/** Errors that say the link is gone (HTTP failure, refused socket, closed transport). */
function isConnectionError(e: unknown): boolean {
  if (e instanceof StreamableHTTPError || e instanceof SseError || e instanceof TypeError) return true;
  if (e instanceof undiciErrors.UndiciError) return true;
  return e instanceof Error && /not connected|closed|ECONN|EPIPE|socket/i.test(e.message);
}

export function message(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    return cause instanceof Error && cause.message && !e.message.includes(cause.message)
      ? `${e.message} (${cause.message})`
      : e.message;
  }
  return String(e);
}

/** Docker's answer for a container id that no longer exists (404 "No such container"). */
function containerGone(e: unknown): boolean {
  return (e as { statusCode?: number }).statusCode === 404 && /no such container/i.test(message(e));
}
