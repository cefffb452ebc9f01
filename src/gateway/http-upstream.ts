// The client side of Streamable HTTP for upstream sessions, built for a proxy: every request goes
// through the upstream's one undici Pool (keep-alive connections shared by all its sessions),
// the body is serialized once, a JSON answer is parsed once, and an SSE answer is parsed as it
// arrives (sse-scan.ts, fed the socket's bytes, no web streams or string decoding). A POST
// is read from undici's dispatch handler callbacks (PostExchange), without the Readable body and
// async resource of pool.request, which cost a relayed call more than the rest of its work. It holds
// no AbortSignal at all: close() destroys the streams it still reads. It speaks MCP's transport
// rules (Mcp-Session-Id, MCP-Protocol-Version, 202 for notifications, the GET stream after
// initialized, DELETE on termination, 404 = session lost) and leaves the protocol to the Client.
// Hand-written because the SDK's StreamableHTTPClientTransport runs every request through fetch
// and web streams (TextDecoderStream, EventSourceParserStream) and one session-wide signal; on
// this path that costs more than the server it fronts (issue 11).
import type { Dispatcher, Pool } from 'undici';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage, type MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { SseScanner, type SseListener } from './sse-scan.js';

export interface HttpUpstreamOptions {
  url: URL;
  /** The upstream's pool (one per upstream, shared by its sessions); the transport never closes it. */
  pool: Pool;
  /** Extra request headers (e.g. an upstream's own Authorization). */
  headers?: Record<string, string>;
  /** Attempts to reopen the GET stream after it ends or fails, before giving up (default 2). */
  getStreamRetries?: number;
}

type Body = Dispatcher.ResponseData['body'];
/** An open response stream that close() must end. */
interface OpenStream {
  destroy(): void;
}
/** The ids of the requests a POST carried that its answer stream has not answered yet. */
type Awaiting = (string | number)[] | undefined;

export class HttpUpstreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private readonly path: string;
  /** Request headers, rebuilt only when the session id or protocol version changes. */
  private postHeaders: Record<string, string>;
  private readonly streams = new Set<OpenStream>();
  private closed_ = false;
  private getRetryTimer: NodeJS.Timeout | undefined;
  private getAttempts = 0;
  private lastEventId: string | undefined;
  private retryMs: number | undefined;

  constructor(private readonly o: HttpUpstreamOptions) {
    this.path = `${o.url.pathname}${o.url.search}`;
    this.postHeaders = this.headers('application/json, text/event-stream', true);
  }

  async start(): Promise<void> {
    // Nothing to open: the pool connects on the first request.
  }

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
    this.postHeaders = this.headers('application/json, text/event-stream', true);
  }

  /**
   * POSTs one message (or batch). Resolves once a JSON answer is delivered, a 202 is read, or an
   * SSE answer starts (its events are delivered as they arrive); rejects on an HTTP error status
   * (404: StreamableHTTPError, the session is lost) or an unexpected content type.
   */
  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed_) return Promise.reject(new Error('Transport is closed.'));
    return new Promise<void>((resolve, reject) => {
      this.o.pool.dispatch(
        { path: this.path, method: 'POST', headers: this.postHeaders, body: JSON.stringify(message) },
        new PostExchange(this, message, resolve, reject),
      );
    });
  }

  /** @internal Whether close() was called (PostExchange). */
  get closed(): boolean {
    return this.closed_;
  }

  /** @internal Takes the session id an answer names (PostExchange). */
  noteSessionId(sid: unknown): void {
    if (typeof sid === 'string' && sid !== this.sessionId) {
      this.sessionId = sid;
      this.postHeaders = this.headers('application/json, text/event-stream', true);
    }
  }

  /** @internal Delivers the JSON body of an answer: one message or a batch (PostExchange). */
  deliverJson(text: string): void {
    if (this.closed_ || text.length === 0) return;
    const data = JSON.parse(text) as JSONRPCMessage | JSONRPCMessage[];
    if (Array.isArray(data)) for (const m of data) this.deliver(m);
    else this.deliver(data);
  }

  /** Ends the session on the server (DELETE); a server that does not support it answers 405. */
  async terminateSession(): Promise<void> {
    if (!this.sessionId) return;
    const res = await this.o.pool.request({
      path: this.path,
      method: 'DELETE',
      headers: this.headers(undefined, false),
    });
    await res.body.dump();
    if (res.statusCode >= 300 && res.statusCode !== 405 && res.statusCode !== 404)
      throw new StreamableHTTPError(res.statusCode, `Failed to terminate session: HTTP ${res.statusCode}`);
    this.sessionId = undefined;
  }

  async close(): Promise<void> {
    if (this.closed_) return;
    this.closed_ = true;
    clearTimeout(this.getRetryTimer);
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    this.onclose?.();
  }

  private headers(accept: string | undefined, json: boolean): Record<string, string> {
    const h: Record<string, string> = {};
    if (json) h['content-type'] = 'application/json';
    if (accept) h.accept = accept;
    if (this.sessionId) h['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion) h['mcp-protocol-version'] = this.protocolVersion;
    for (const [k, v] of Object.entries(this.o.headers ?? {})) h[k.toLowerCase()] = v;
    return h;
  }

  /** @internal */
  deliver(m: JSONRPCMessage): void {
    if (this.closed_) return;
    if (typeof m !== 'object' || m === null || (m as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
      this.onerror?.(new Error('Upstream sent a message that is not JSON-RPC 2.0.'));
      return;
    }
    this.onmessage?.(m);
  }

  /**
   * Reads the GET stream's SSE body as it arrives; when it ends it is reopened (openGetStream).
   */
  private readSse(body: Body): void {
    const reader = new SseStream(this, body, undefined, true);
    body.on('data', (chunk: Buffer) => reader.feed(chunk));
    body.once('end', () => reader.end());
    body.once('error', (e: Error) => reader.end(e));
    body.once('close', () => reader.end());
  }

  /** @internal An SSE stream has begun (close() ends it) or is over (SseStream). */
  track(stream: OpenStream, open: boolean): void {
    if (open) this.streams.add(stream);
    else this.streams.delete(stream);
  }

  /** @internal The GET stream's position, for Last-Event-ID when it is reopened (SseStream). */
  noteEventId(id: string): void {
    this.lastEventId = id;
  }

  /** @internal A `retry:` from the server sets the GET stream's reopening delay (SseStream). */
  noteRetry(ms: number): void {
    this.retryMs = ms;
  }

  /** @internal The GET stream ended: open it again after a delay, a few times at most. */
  scheduleGetStream(): void {
    const retries = this.o.getStreamRetries ?? 2;
    if (this.closed_ || this.getAttempts >= retries) return;
    this.getAttempts++;
    const delay = this.retryMs ?? 1000 * 1.5 ** (this.getAttempts - 1);
    this.getRetryTimer = setTimeout(() => this.openGetStream(), delay);
    this.getRetryTimer.unref();
  }

  /** @internal The standalone stream for server-initiated messages; 405 means the server offers none. */
  openGetStream(): void {
    if (this.closed_) return;
    const headers = this.headers('text/event-stream', false);
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    this.o.pool.request({ path: this.path, method: 'GET', headers }).then(
      async (res) => {
        if (res.statusCode === 405) return void (await res.body.dump());
        if (res.statusCode !== 200 || this.closed_) {
          await res.body.dump();
          if (!this.closed_) {
            this.onerror?.(
              new StreamableHTTPError(res.statusCode, `Failed to open SSE stream: HTTP ${res.statusCode}`),
            );
            this.scheduleGetStream();
          }
          return;
        }
        this.getAttempts = 0;
        this.readSse(res.body);
      },
      (e: unknown) => {
        if (this.closed_) return;
        this.onerror?.(e instanceof Error ? e : new Error(String(e)));
        this.scheduleGetStream();
      },
    );
  }
}

type PostMode = 'error' | 'accepted' | 'json' | 'sse' | 'other';

/**
 * One POST read from undici's dispatch callbacks: the status and headers decide what the body
 * is (an error text, nothing, JSON to parse once, or SSE to parse as it arrives). It is its own
 * handler object, so a call allocates no closures for it.
 */
class PostExchange implements Dispatcher.DispatchHandler, OpenStream {
  private mode: PostMode | undefined;
  private status = 0;
  private type = '';
  private chunks: Buffer[] = [];
  private sse: SseStream | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private answered = false;

  constructor(
    private readonly t: HttpUpstreamTransport,
    private readonly message: JSONRPCMessage,
    private readonly resolve: () => void,
    private readonly reject: (e: unknown) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.t.closed) controller.abort(new Error('Transport is closed.'));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.t.noteSessionId(headers['mcp-session-id']);
    this.status = statusCode;
    this.type = String(headers['content-type'] ?? '');
    if (statusCode < 200 || statusCode >= 300) this.mode = 'error';
    else if (statusCode === 202) this.mode = 'accepted';
    else if (this.type.startsWith('application/json')) this.mode = 'json';
    else if (this.type.startsWith('text/event-stream')) {
      this.mode = 'sse';
      this.controller = controller;
      this.sse = new SseStream(this.t, this, requestIds(this.message), false);
      this.answer();
    } else this.mode = 'other';
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.mode === 'sse') this.sse!.feed(chunk);
    else if (this.mode === 'json' || this.mode === 'error') this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    switch (this.mode) {
      case 'sse':
        return this.sse!.end();
      case 'accepted':
        if ((this.message as { method?: string }).method === 'notifications/initialized') this.t.openGetStream();
        return this.answer();
      case 'json':
        try {
          this.t.deliverJson(this.text());
        } catch (e) {
          return this.fail(e);
        }
        return this.answer();
      case 'error': {
        const text = this.text();
        return this.fail(
          new StreamableHTTPError(this.status, `Error POSTing to endpoint: ${text || `HTTP ${this.status}`}`),
        );
      }
      default:
        return this.fail(new StreamableHTTPError(-1, `Unexpected content type: ${this.type || '(none)'}`));
    }
  }

  /** close() ends the answer stream. */
  destroy(): void {
    this.controller?.abort(new Error('Transport is closed.'));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.sse) this.sse.end(error);
    else this.fail(error);
  }

  private text(): string {
    const c = this.chunks;
    return c.length === 1 ? c[0].toString('utf8') : Buffer.concat(c).toString('utf8');
  }

  private answer(): void {
    if (this.answered) return;
    this.answered = true;
    this.resolve();
  }

  private fail(e: unknown): void {
    if (this.answered) return;
    this.answered = true;
    this.reject(e);
  }
}

/** The ids of the requests in `message` (one message or a batch). */
function requestIds(message: JSONRPCMessage | JSONRPCMessage[]): Awaiting {
  if (!Array.isArray(message)) {
    const r = message as { id?: string | number; method?: string };
    return r.method !== undefined && r.id !== undefined ? [r.id] : undefined;
  }
  let ids: (string | number)[] | undefined;
  for (const m of message) {
    const r = m as { id?: string | number; method?: string };
    if (r.method !== undefined && r.id !== undefined) (ids ??= []).push(r.id);
  }
  return ids;
}

/**
 * One SSE response read as it arrives: a POST's answer stream, or the standalone GET stream. A
 * POST stream that ends before answering every request it carried answers them with
 * ConnectionClosed (the caller treats the link as lost) instead of leaving them to their
 * timeouts; a GET stream that ends is reopened. One object per stream, its own SSE listener.
 */
class SseStream implements SseListener {
  private readonly scanner = new SseScanner(this);
  private ended = false;

  constructor(
    private readonly t: HttpUpstreamTransport,
    private readonly stream: OpenStream,
    private readonly awaiting: Awaiting,
    private readonly isGet: boolean,
  ) {
    t.track(stream, true);
  }

  feed(chunk: Buffer): void {
    this.scanner.feed(chunk);
  }

  onSseEvent(data: string, event: string | undefined, id: string | undefined): void {
    // Only the GET stream's position is resumed: a POST stream's event id sent on a GET would
    // replay that POST stream instead of opening the standalone one.
    if (id && this.isGet) this.t.noteEventId(id);
    if (!data || (event && event !== 'message')) return;
    let m: JSONRPCMessage;
    try {
      m = JSON.parse(data) as JSONRPCMessage;
    } catch (e) {
      this.t.onerror?.(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    const a = this.awaiting;
    if (a && !('method' in m)) {
      const i = a.indexOf((m as { id?: string | number }).id as string | number);
      if (i >= 0) a.splice(i, 1);
    }
    this.t.deliver(m);
  }

  onSseRetry(ms: number): void {
    this.t.noteRetry(ms);
  }

  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.t.track(this.stream, false);
    if (this.t.closed) return;
    if (error) this.t.onerror?.(new Error(`SSE stream disconnected: ${error.message}`));
    for (const id of this.awaiting ?? []) {
      this.t.deliver({
        jsonrpc: '2.0',
        id,
        error: {
          code: ErrorCode.ConnectionClosed,
          message: 'The upstream ended the response stream before answering.',
        },
      });
    }
    if (this.isGet) this.t.scheduleGetStream();
  }
}
