// Builds the MCP Server that one downstream session talks to: list handlers read the cached
// routing tables of its view; call/get/read handlers route to the owning upstream, relay
// progress, propagate cancellation, and turn gateway-side failures into clear MCP errors.
// One Server per downstream session (an SDK Server serves one transport), with its
// DownstreamPeer: every upstream request names it, so it runs on that session's own link.
// The same handlers also serve the `direct` entry (the HTTP fast path, json-fast-path.ts), which
// skips the SDK Server for single requests that want no progress; pass-through requests go
// upstream on the link's CallChannel, so their results are parsed once and never re-validated.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CompleteResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  EmptyResultSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type GetPromptResult,
  type JSONRPCRequest,
  type ReadResourceResult,
  type RequestMeta,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';
import type { CallSignal } from './call-signal.js';
import { routeResource, type Catalog, type View } from './catalog.js';
import { blockedText } from './tool-lock.js';
import type { Federation } from './federation.js';
import type { GatewayLogger } from './types.js';
import type { CallKind, CallOutcome, GatewayMetrics } from './metrics.js';
import { DownstreamPeer } from './peer.js';
import { UpstreamUnavailableError, message, type UpstreamSession } from './upstream.js';
import { wireHandler } from './wire-error.js';

export interface DownstreamDeps {
  federation: Federation;
  metrics: GatewayMetrics;
  logger?: GatewayLogger;
}

type Extra = {
  signal: AbortSignal;
  _meta?: RequestMeta;
  sendNotification: (n: {
    method: 'notifications/progress';
    params: { progressToken: string | number; progress: number; total?: number; message?: string };
  }) => Promise<void>;
};

/**
 * Serves one single request without the SDK Server: a promise of its result (or of an McpError),
 * or undefined when the method or its params are not ones it takes (the SDK path answers those).
 */
export type DirectHandler = (request: JSONRPCRequest, signal: CallSignal) => Promise<Result> | undefined;

export function createDownstreamServer(
  deps: DownstreamDeps,
  view: View,
): { server: Server; peer: DownstreamPeer; direct: DirectHandler } {
  const server = new Server(
    { name: 'contextforge-gateway', version: '0.1.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { listChanged: true, subscribe: true },
        completions: {},
        logging: {},
      },
      instructions: instructionsFor(deps, view),
      // A burst of upstream changes reaches clients as one notification per kind.
      debouncedNotificationMethods: [
        'notifications/tools/list_changed',
        'notifications/prompts/list_changed',
        'notifications/resources/list_changed',
      ],
    },
  );
  const cat = () => deps.federation.catalog(view);
  const peer = new DownstreamPeer(server);
  // Every handler's McpError reaches the client with one "MCP error <code>:" prefix, not two.
  const register = server.setRequestHandler.bind(server);
  server.setRequestHandler = ((schema: never, handler: (...args: never[]) => unknown) =>
    register(schema, wireHandler(handler) as never)) as typeof server.setRequestHandler;

  const listTools = (): Result => ({ tools: [...cat().tools.values()].map((r) => r.def) });
  const listPrompts = (): Result => ({ prompts: [...cat().prompts.values()].map((r) => r.def) });
  const listResources = (): Result => ({ resources: [...cat().resources.values()].map((r) => r.def) });
  const listTemplates = (): Result => ({ resourceTemplates: cat().templates.map((t) => t.def) });
  server.setRequestHandler(ListToolsRequestSchema, listTools);
  server.setRequestHandler(ListPromptsRequestSchema, listPrompts);
  server.setRequestHandler(ListResourcesRequestSchema, listResources);
  server.setRequestHandler(ListResourceTemplatesRequestSchema, listTemplates);

  const callTool = async (req: ToolCall, extra: HandlerExtra): Promise<CallToolResult> => {
    const route = cat().tools.get(req.params.name);
    if (!route) refuseBlocked(cat(), req.params.name);
    if (!route)
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown tool '${req.params.name}'. List tools again: the set may have changed.`,
      );
    const started = performance.now();
    const observe = (outcome: CallOutcome): void =>
      deps.metrics.observeCall({
        runtime: route.session.name,
        kind: 'tool',
        name: route.original,
        outcome,
        seconds: (performance.now() - started) / 1000,
      });
    try {
      const params = { ...req.params, name: route.original, _meta: forwardMeta(req.params._meta) };
      const result = (await route.session.request((_c, o, ch) => ch.call('tools/call', params, o), {
        signal: extra.signal,
        onprogress: progressRelay(extra),
        peer,
      })) as CallToolResult;
      observe(result.isError ? 'error' : 'ok');
      return result;
    } catch (e) {
      const outcome = classify(e, extra.signal);
      observe(outcome);
      if (outcome === 'error' && e instanceof McpError) throw e;
      // Gateway-side failures become a tool error the model can read, naming the runtime.
      return {
        isError: true,
        content: [{ type: 'text', text: failureText(route.session.name, route.session.timeoutMs, outcome, e) }],
      };
    }
  };
  server.setRequestHandler(CallToolRequestSchema, callTool);

  const getPrompt = async (req: PromptGet, extra: HandlerExtra): Promise<GetPromptResult> => {
    const route = cat().prompts.get(req.params.name);
    if (!route) refuseBlocked(cat(), req.params.name);
    if (!route) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt '${req.params.name}'.`);
    const params = { ...req.params, name: route.original, _meta: forwardMeta(req.params._meta) };
    return routed(deps, 'prompt', route.session.name, route.original, extra.signal, route.session.timeoutMs, () =>
      route.session.request((_c, o, ch) => ch.call('prompts/get', params, o), {
        signal: extra.signal,
        peer,
      }),
    ) as Promise<GetPromptResult>;
  };
  server.setRequestHandler(GetPromptRequestSchema, getPrompt);

  const readResource = async (req: ResourceRead, extra: HandlerExtra): Promise<ReadResourceResult> => {
    const target = routeResource(cat(), req.params.uri);
    if (!target) refuseBlocked(cat(), req.params.uri);
    if (!target) throw new McpError(-32002, `Resource not found: ${req.params.uri}`);
    const params = { ...req.params, uri: target.uri, _meta: forwardMeta(req.params._meta) };
    const result = (await routed(
      deps,
      'resource',
      target.session.name,
      target.label,
      extra.signal,
      target.session.timeoutMs,
      () =>
        target.session.request((_c, o, ch) => ch.call('resources/read', params, o), {
          signal: extra.signal,
          peer,
        }),
    )) as ReadResourceResult;
    // Contents name the URI the client asked for, so a marked URI round-trips.
    if (target.uri === req.params.uri || !Array.isArray(result.contents)) return result;
    return {
      ...result,
      contents: result.contents.map((c) => (c.uri === target.uri ? { ...c, uri: req.params.uri } : c)),
    };
  };
  server.setRequestHandler(ReadResourceRequestSchema, readResource);

  // Argument completion follows the prompt or resource template it refers to.
  server.setRequestHandler(CompleteRequestSchema, async (req, extra) => {
    const ref = req.params.ref;
    const empty = { completion: { values: [] as string[] } };
    const target =
      ref.type === 'ref/prompt'
        ? (() => {
            const r = cat().prompts.get(ref.name);
            return r && { session: r.session, ref: { type: 'ref/prompt' as const, name: r.original } };
          })()
        : (() => {
            const t = cat().templates.find((x) => x.def.uriTemplate === ref.uri);
            return t && { session: t.session, ref: { type: 'ref/resource' as const, uri: t.original } };
          })();
    if (!target) return empty;
    try {
      return await target.session.request(
        (c, o) =>
          c.request(
            { method: 'completion/complete', params: { ...req.params, ref: target.ref } },
            CompleteResultSchema,
            { ...o, signal: extra.signal },
          ),
        { signal: extra.signal, peer },
      );
    } catch (e) {
      // An upstream without completion support, or one that is down, simply offers nothing.
      if (e instanceof McpError && e.code !== ErrorCode.MethodNotFound && e.code !== ErrorCode.ConnectionClosed)
        throw e;
      return empty;
    }
  });

  // Subscriptions live on this session's own link, so updates come back to this session only.
  const subscription = (on: boolean) => async (req: { params: { uri: string } }, extra: { signal: AbortSignal }) => {
    const target = routeResource(cat(), req.params.uri);
    if (!target) throw new McpError(-32002, `Resource not found: ${req.params.uri}`);
    const method = on ? 'resources/subscribe' : 'resources/unsubscribe';
    await routed(deps, 'resource', target.session.name, target.label, extra.signal, target.session.timeoutMs, () =>
      target.session.request(
        (c, o) => c.request({ method, params: { uri: target.uri } }, EmptyResultSchema, { ...o, signal: extra.signal }),
        {
          signal: extra.signal,
          peer,
        },
      ),
    );
    peer.subscribed(target.session.name, target.uri, req.params.uri, on);
    return {};
  };
  server.setRequestHandler(SubscribeRequestSchema, subscription(true));
  server.setRequestHandler(UnsubscribeRequestSchema, subscription(false));

  // The level is this session's: it goes to this session's link on every runtime of its view
  // that logs, and links opened later start at it.
  server.setRequestHandler(SetLevelRequestSchema, async (req, extra) => {
    peer.logLevel = req.params.level;
    const targets = sessionsOf(cat()).filter((s) => s.capabilities.logging && s.status().state === 'connected');
    const results = await Promise.allSettled(
      targets.map((s) =>
        s.request((c, o) => c.setLoggingLevel(req.params.level, { ...o, signal: extra.signal }), {
          signal: extra.signal,
          peer,
        }),
      ),
    );
    results.forEach((r, i) => {
      if (r.status === 'rejected')
        deps.logger?.debug('logging/setLevel not relayed', { runtime: targets[i].name, error: message(r.reason) });
    });
    return {};
  });

  server.setNotificationHandler(RootsListChangedNotificationSchema, () => peer.rootsChanged());

  // The fast path takes what these handlers take, with params checked as the SDK schemas would
  // (anything unusual, tasks included, is left to the SDK Server and its validation).
  const direct: DirectHandler = (request, signal) => {
    const params = request.params as Record<string, unknown> | undefined;
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params)))
      return undefined;
    const extra: HandlerExtra = { signal, _meta: params?._meta as RequestMeta | undefined };
    switch (request.method) {
      case 'tools/call':
        if (typeof params?.name !== 'string' || !optionalObject(params.arguments) || params.task !== undefined)
          return undefined;
        return callTool({ params: params as ToolCall['params'] }, extra);
      case 'prompts/get':
        if (typeof params?.name !== 'string' || !optionalObject(params.arguments)) return undefined;
        return getPrompt({ params: params as PromptGet['params'] }, extra);
      case 'resources/read':
        if (typeof params?.uri !== 'string') return undefined;
        return readResource({ params: params as ResourceRead['params'] }, extra);
      case 'tools/list':
        return Promise.resolve(listTools());
      case 'prompts/list':
        return Promise.resolve(listPrompts());
      case 'resources/list':
        return Promise.resolve(listResources());
      case 'resources/templates/list':
        return Promise.resolve(listTemplates());
      case 'ping':
        return Promise.resolve({});
      default:
        return undefined;
    }
  };

  return { server, peer, direct };
}

type ToolCall = { params: { name: string; arguments?: Record<string, unknown>; _meta?: RequestMeta } };
type PromptGet = { params: { name: string; arguments?: Record<string, string>; _meta?: RequestMeta } };
type ResourceRead = { params: { uri: string; _meta?: RequestMeta } };

/**
 * What the call handlers use of the SDK's request extra; the fast path passes only its own
 * cancellation (call-signal.ts) and _meta.
 */
type HandlerExtra = { signal: CallSignal } & Pick<Extra, '_meta'> & Partial<Pick<Extra, 'sendNotification'>>;

function optionalObject(v: unknown): boolean {
  return v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v));
}

/** A name the lock hides is refused with an error naming the lock, not as an unknown name. */
function refuseBlocked(c: Catalog, name: string): void {
  const b = c.blocked.get(name);
  if (b) throw new McpError(ErrorCode.InvalidParams, blockedText(b.session.name, b.unpinned));
}

/** The upstream sessions a view's catalog routes to, each once. */
function sessionsOf(c: ReturnType<Federation['catalog']>): UpstreamSession[] {
  const all = new Set<UpstreamSession>();
  for (const r of c.tools.values()) all.add(r.session);
  for (const r of c.prompts.values()) all.add(r.session);
  for (const r of c.resources.values()) all.add(r.session);
  for (const t of c.templates) all.add(t.session);
  return [...all];
}

/** A virtual server shows its description; a single runtime passes its own instructions on. */
function instructionsFor(deps: DownstreamDeps, view: View): string | undefined {
  if (view.kind === 'virtual') return view.spec.description;
  if (view.kind === 'runtime') return deps.federation.list().find((s) => s.name === view.name)?.instructions;
  return undefined;
}

async function routed<T>(
  deps: DownstreamDeps,
  kind: CallKind,
  runtime: string,
  name: string,
  signal: CallSignal,
  timeoutMs: number,
  run: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const observe = (outcome: CallOutcome): void =>
    deps.metrics.observeCall({ runtime, kind, name, outcome, seconds: (performance.now() - started) / 1000 });
  try {
    const r = await run();
    observe('ok');
    return r;
  } catch (e) {
    const outcome = classify(e, signal);
    observe(outcome);
    if (outcome === 'error' && e instanceof McpError) throw e;
    throw new McpError(ErrorCode.InternalError, failureText(runtime, timeoutMs, outcome, e));
  }
}

function classify(e: unknown, signal: CallSignal): CallOutcome {
  if (signal.aborted) return 'cancelled';
  if (e instanceof UpstreamUnavailableError) return 'unavailable';
  if (e instanceof McpError && e.code === ErrorCode.RequestTimeout) return 'timeout';
  if (e instanceof McpError && e.code !== ErrorCode.ConnectionClosed) return 'error';
  // A limiter abort or any other non-protocol failure reaching here means the link failed.
  return 'unavailable';
}

function failureText(runtime: string, timeoutMs: number, outcome: CallOutcome, e: unknown): string {
  if (e instanceof UpstreamUnavailableError) return e.message;
  if (outcome === 'timeout')
    return `Runtime '${runtime}' did not answer within ${Math.round(timeoutMs / 1000)} s (per-call timeout).`;
  if (outcome === 'cancelled') return `Request to runtime '${runtime}' was cancelled.`;
  return `Runtime '${runtime}' is unavailable: ${message(e)}. The gateway reconnects automatically; retry later.`;
}

/** Drops the downstream progress token: the SDK client sets its own upstream and we relay. */
function forwardMeta(meta: RequestMeta | undefined): RequestMeta | undefined {
  if (!meta) return undefined;
  const { progressToken: _drop, ...rest } = meta;
  return Object.keys(rest).length ? (rest as RequestMeta) : undefined;
}

function progressRelay(
  extra: HandlerExtra,
): ((p: { progress: number; total?: number; message?: string }) => void) | undefined {
  const token = extra._meta?.progressToken;
  const send = extra.sendNotification;
  if (token === undefined || !send) return undefined;
  return (p) => {
    void send({
      method: 'notifications/progress',
      params: { progressToken: token, progress: p.progress, total: p.total, message: p.message },
    }).catch(() => undefined);
  };
}
