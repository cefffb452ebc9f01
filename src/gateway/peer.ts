// One downstream session as seen from the upstream side: what its client declared, the logging
// level it chose, the resources it subscribed to, and the relay of server-to-client requests and
// notifications to exactly this session. It never talks to another session and owns no upstream.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  ElicitResultSchema,
  ErrorCode,
  ListRootsResultSchema,
  McpError,
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  type ClientCapabilities,
  type LoggingLevel,
  type LoggingMessageNotification,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';

/** Server-to-client requests the gateway relays, and the client capability each needs. */
export type RelayedMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list';

const NEEDS: Record<RelayedMethod, { capability: keyof ClientCapabilities; what: string }> = {
  'sampling/createMessage': { capability: 'sampling', what: 'sampling' },
  'elicitation/create': { capability: 'elicitation', what: 'elicitation' },
  'roots/list': { capability: 'roots', what: 'roots' },
};

/** Something that ends when its peer closes (an upstream link). */
export interface PeerLink {
  close(): Promise<void>;
  /** Tells the upstream the client's roots changed. */
  rootsChanged(): void;
}

export class DownstreamPeer {
  private static next = 0;
  /** For logs only: which downstream session a link belongs to. */
  readonly id = `ds-${++DownstreamPeer.next}`;
  /** The level the client asked for with logging/setLevel; new links start at it. */
  logLevel: LoggingLevel | undefined;
  /** Per runtime: upstream URI to the URI the client subscribed with (they differ when marked). */
  readonly subscriptions = new Map<string, Map<string, string>>();
  private readonly links = new Set<PeerLink>();
  private closed = false;

  constructor(readonly server: Server) {}

  get isClosed(): boolean {
    return this.closed;
  }

  attach(link: PeerLink): void {
    if (this.closed) {
      void link.close();
      return;
    }
    this.links.add(link);
  }

  detach(link: PeerLink): void {
    this.links.delete(link);
  }

  /**
   * Relays one server-to-client request of `runtime` to this session's client, within
   * `timeoutMs`. A client that did not declare the capability gets no request: the upstream
   * gets MethodNotFound at once, which is what a direct client without it would answer.
   */
  async relay(
    method: RelayedMethod,
    params: Record<string, unknown> | undefined,
    opts: { runtime: string; timeoutMs: number; signal?: AbortSignal },
  ): Promise<Result> {
    const need = NEEDS[method];
    const caps = this.server.getClientCapabilities();
    if (this.closed || !caps?.[need.capability]) {
      throw new McpError(
        ErrorCode.MethodNotFound,
        `The client of this gateway session does not support ${need.what} (runtime '${opts.runtime}' asked for ${method}).`,
      );
    }
    const schema =
      method === 'roots/list'
        ? ListRootsResultSchema
        : method === 'elicitation/create'
          ? ElicitResultSchema
          : params && 'tools' in params
            ? CreateMessageResultWithToolsSchema
            : CreateMessageResultSchema;
    try {
      return await this.server.request({ method, params } as never, schema, {
        timeout: opts.timeoutMs,
        signal: opts.signal,
      });
    } catch (e) {
      if (e instanceof McpError) throw e;
      throw new McpError(
        ErrorCode.InternalError,
        `Relaying ${method} to the client failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  /** Forwards an upstream log message, its logger prefixed with the runtime it came from. */
  log(runtime: string, params: LoggingMessageNotification['params']): void {
    if (this.closed) return;
    const logger = params.logger ? `${runtime}/${params.logger}` : runtime;
    void this.server
      .notification({ method: 'notifications/message', params: { ...params, logger } })
      .catch(() => undefined);
  }

  /** Forwards resources/updated for an upstream URI this session subscribed to (else drops it). */
  resourceUpdated(runtime: string, uri: string): void {
    if (this.closed) return;
    const shown = this.subscriptions.get(runtime)?.get(uri);
    if (shown === undefined) return;
    void this.server
      .notification({ method: 'notifications/resources/updated', params: { uri: shown } })
      .catch(() => undefined);
  }

  subscribed(runtime: string, upstreamUri: string, shownUri: string, on: boolean): void {
    let m = this.subscriptions.get(runtime);
    if (!m) this.subscriptions.set(runtime, (m = new Map()));
    if (on) m.set(upstreamUri, shownUri);
    else m.delete(upstreamUri);
  }

  rootsChanged(): void {
    for (const l of this.links) l.rootsChanged();
  }

  /** Ends every upstream link of this session (the session is gone). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.links];
    this.links.clear();
    await Promise.all(all.map((l) => l.close().catch(() => undefined)));
  }
}
