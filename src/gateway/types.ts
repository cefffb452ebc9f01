// The gateway's input contract: what the rest of contextforge hands to the gateway (upstream
// specs, virtual servers, listen and auth options) and what it reads back (status).
// It must not import config or state types: callers translate into these shapes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { SurfaceKind } from '../model/tool-surface.js';

/** What the host hands the gateway for a runtime whose lock entry pins a surface. */
export interface UpstreamLock {
  /** enforce: not listed, not callable; warn: listed, flagged in `_meta`. */
  mode: 'enforce' | 'warn';
  /** Kind → key (name, URI, URI template) → pinned definition hash. */
  hashes: Record<SurfaceKind, Record<string, string>>;
}

export type UpstreamTransport = 'streamable-http' | 'sse' | 'stdio';

/** Something that yields a fresh SDK Transport for a stdio-speaking server (child or container). */
export interface StdioConnector {
  /** Stable identity of the target, for logs and diffing (never contains secrets). */
  key: string;
  /**
   * Every connect() must reach a server of its own (a fresh child, a process exec'd in the
   * container, a supervisor connection): the gateway opens one per downstream session.
   * `singleSession: true` marks a connector that reaches one shared server (docker attach): the
   * gateway then keeps a single session to it and relays no server-to-client traffic.
   */
  singleSession?: boolean;
  connect(): Promise<Transport>;
  /** Releases what the connector keeps ahead (a warm spare); called when its upstream is removed. */
  close?(): Promise<void>;
}

export interface UpstreamSpec {
  /** Runtime name; used (sanitized) as the tool and prompt prefix. */
  name: string;
  transport: UpstreamTransport;
  /** Endpoint for the HTTP transports. */
  url?: string;
  /** Extra request headers for the HTTP transports (for example an upstream bearer token). */
  headers?: Record<string, string>;
  /** Required when transport is 'stdio'. */
  stdio?: StdioConnector;
  /** Per-call timeout; Code Engine cold starts need at least 30 s. */
  callTimeoutMs?: number;
  /** Upstream requests in flight at once; the excess waits in a FIFO queue. */
  maxConcurrency?: number;
  /**
   * Liveness ping interval for this upstream; 0 disables it (for example to let a Code Engine app
   * scale to zero). Default: the gateway's pingIntervalMs.
   */
  pingIntervalMs?: number;
  /**
   * The runtime's pinned surface from contextforge.lock: what does not match is hidden and not
   * callable (enforce) or flagged (warn). Undefined: everything is served, as without a lock.
   */
  lock?: UpstreamLock;
  /**
   * The connection's identity: when it changes, the upstream session is closed and a new one
   * opened. `lock` is not part of it: a new lock is applied to the open session in place.
   */
  specHash: string;
}

/** A named selection over federated names; each list holds glob patterns (`*`, `?`). */
export interface VirtualServerSpec {
  name: string;
  /** Shown to clients as the server's instructions. */
  description?: string;
  /** Runtimes included whole (every tool, prompt and resource), in addition to the globs. */
  runtimes?: string[];
  /** Patterns over federated tool names; omitted means no tools. */
  tools?: string[];
  /** Patterns over federated prompt names; omitted means no prompts. */
  prompts?: string[];
  /** Patterns over federated resource URIs (and template URIs); omitted means no resources. */
  resources?: string[];
}

/** A named principal's static bearer tokens; a request with one of them is `user:<name>`. */
export interface NamedTokens {
  name: string;
  tokens: string[];
}

export type GatewayAuth =
  | { mode: 'none' }
  | { mode: 'token'; tokens?: string[]; users?: NamedTokens[]; jwtSecret?: string; allowNoExp?: boolean };

/**
 * Who is calling, as the HTTP layer established it: `principal` names the credential without
 * revealing it (`token:<n>`, `user:<name>`, `jwt:<sub>`, `anonymous`); a JWT adds its `sub` and
 * its `groups` claim (strings only).
 */
export type AuthVerdict =
  | { ok: true; principal: string; subject?: string; groups?: string[] }
  | { ok: false; reason: string; invalidToken: boolean };

/**
 * Extra HTTP routes served on the gateway's listener (the operator console). Requests to a path
 * equal to or under one of `prefixes` reach `handle` after the Origin and Host checks, with the
 * auth verdict: the extension answers unauthenticated requests itself (its own error format),
 * calling `rejected()` so that the gateway's rejection metric counts them.
 */
export interface HttpExtension {
  prefixes: string[];
  handle(req: IncomingMessage, res: ServerResponse, ctx: HttpExtensionContext): Promise<void>;
}

export interface HttpExtensionContext {
  url: URL;
  /** The path without trailing slashes. */
  path: string;
  auth: AuthVerdict;
  /** Counts one request refused for want of auth. */
  rejected(): void;
}

export interface GatewayLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface GatewayOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 4444; 0 picks a free port. */
  port?: number;
  /** Required on purpose: `{ mode: 'none' }` must be chosen explicitly. */
  auth: GatewayAuth;
  /** Between runtime and tool name in federated names; default '__'. */
  separator?: string;
  virtualServers?: VirtualServerSpec[];
  /** Default per-call timeout for upstreams without their own; default 60 000 ms. */
  callTimeoutMs?: number;
  /** Default bounded concurrency per upstream; default 16. */
  maxConcurrency?: number;
  /** Liveness ping interval for connected upstreams; default 15 000 ms; 0 disables. */
  pingIntervalMs?: number;
  /** Reconnect backoff bounds; default 500 ms to 30 000 ms. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Streamable HTTP sessions idle this long (no request, no open stream) are closed; default 5 min. */
  sessionIdleMs?: number;
  /** Downstream sessions open at once, over all principals; default 1000. */
  maxSessions?: number;
  /** Downstream sessions open at once per principal (token, JWT subject); default 100. */
  maxSessionsPerPrincipal?: number;
  /** Browser origins (scheme://host[:port]) allowed besides the gateway's own loopback origin. */
  allowedOrigins?: string[];
  /** Host names accepted in the Host header besides loopback forms and the listen host. */
  allowedHosts?: string[];
  /** 'auth' (default): /metrics needs the gateway auth; 'public': it does not. */
  metrics?: 'auth' | 'public';
  /** Time to receive a request's headers; default 60 000 ms. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request (headers and body); default 300 000 ms. Responses are not limited. */
  requestTimeoutMs?: number;
  /** A request body that sends nothing for this long is answered 408; default 30 000 ms. */
  bodyIdleTimeoutMs?: number;
  /** Extra routes on the same listener, behind the same Origin, Host and auth checks. */
  extension?: HttpExtension;
  /**
   * Readiness of what feeds the gateway besides its upstreams (the host's state store): /readyz
   * answers 503 while it reports not ok, and shows why to authenticated callers.
   */
  readiness?: () => { ok: boolean; component: string; detail?: string };
  logger?: GatewayLogger;
  /** Called for every new mismatch between an upstream's lists and its lock entry. */
  onUnpinned?: (e: UnpinnedEvent) => void;
  /**
   * An upstream session changed state; every failed connection attempt and every lost session
   * reports 'failed' (at the pace of the reconnect backoff). The host resolves a runtime's live
   * endpoint from its backend on it.
   */
  onUpstreamState?: (runtime: string, state: UpstreamState) => void;
  /**
   * A call could not be delivered because `runtime`'s upstream could not be reached (no session,
   * or the connection was refused: nothing was sent). The host looks up where the runtime runs
   * now and, if that moved, replaces the upstream (setUpstreams) before the promise settles; the
   * call then goes to the new upstream once, else fails as it would have. The wait is bounded by
   * the call's timeout.
   */
  resolveUnreachable?: (runtime: string) => Promise<void>;
}

export type UpstreamState = 'connecting' | 'connected' | 'failed';

export interface UpstreamStatus {
  name: string;
  transport: UpstreamTransport;
  state: UpstreamState;
  /** True once the first connection attempt has finished, either way. */
  attempted: boolean;
  lastError?: string;
  /** ISO time of the last state change. */
  since: string;
  /** Failed attempts and losses since the session was last stable (up for 30 s). */
  failures: number;
  tools: number;
  prompts: number;
  resources: number;
  inFlight: number;
  queued: number;
  /** Present for a runtime the lock pins: its mode and what currently does not match. */
  lock?: { mode: 'enforce' | 'warn'; unpinned: UnpinnedDefinition[] };
}

/** A listed definition that differs from contextforge.lock (or is not in it). */
export interface UnpinnedDefinition {
  kind: SurfaceKind;
  /** Tool or prompt name, resource URI or URI template, as the upstream lists it. */
  key: string;
  /** The pinned hash; absent when the lock does not list the definition. */
  expected?: string;
  actual: string;
}

/** Reported once per runtime, definition and live hash (on connect or list_changed). */
export interface UnpinnedEvent extends UnpinnedDefinition {
  runtime: string;
  mode: 'enforce' | 'warn';
}
