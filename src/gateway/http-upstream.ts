// The client side of Streamable HTTP for upstream sessions, built for a proxy: every request goes
// through the upstream's one undici Pool (keep-alive connections shared by all its sessions),
// the body is serialized once, a JSON answer is parsed once, and an SSE answer is parsed as it
// arrives (eventsource-parser's incremental parser fed from the socket, no web streams). It holds
// no AbortSignal at all: close() destroys the streams it still reads. It speaks MCP's transport
// rules (Mcp-Session-Id, MCP-Protocol-Version, 202 for notifications, the GET stream after
// initialized, DELETE on termination, 404 = session lost) and leaves the protocol to the Client.
// Hand-written because the SDK's StreamableHTTPClientTransport runs every request through fetch
// and web streams (TextDecoderStream, EventSourceParserStream) and one session-wide signal; on
// this path that costs more than the server it fronts (issue 11).
import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher, Pool } from 'undici';
import { createParser } from 'eventsource-parser';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage, type MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

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

export class HttpUpstreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private readonly path: string;
  /** Request headers, rebuilt only when the session id or protocol version changes. */
  private postHeaders: Record<string, string>;
  private readonly streams = new Set<Body>();
  private closed = false;
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

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed) throw new Error('Transport is closed.');
    const res = await this.o.pool.request({
      path: this.path,
      method: 'POST',
      headers: this.postHeaders,
      body: JSON.stringify(message),
    });
    const sid = res.headers['mcp-session-id'];
    if (typeof sid === 'string' && sid !== this.sessionId) {
      this.sessionId = sid;
      this.postHeaders = this.headers('application/json, text/event-stream', true);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const text = await res.body.text().catch(() => '');
      throw new StreamableHTTPError(res.statusCode, `Error POSTing to endpoint: ${text || `HTTP ${res.statusCode}`}`);
    }
    if (res.statusCode === 202) {
      await res.body.dump();
      if ((message as { method?: string }).method === 'notifications/initialized') this.openGetStream();
      return;
    }
    const type = String(res.headers['content-type'] ?? '');
    if (type.startsWith('application/json')) {
      const text = await res.body.text();
      if (this.closed || text.length === 0) return;
      const data = JSON.parse(text) as JSONRPCMessage | JSONRPCMessage[];
      if (Array.isArray(data)) for (const m of data) this.deliver(m);
      else this.deliver(data);
      return;
    }
    if (type.startsWith('text/event-stream')) {
      this.readSse(res.body, requestIds(message), false);
      return;
    }
    await res.body.dump();
    throw new StreamableHTTPError(-1, `Unexpected content type: ${type || '(none)'}`);
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
    if (this.closed) return;
    this.closed = true;
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

  private deliver(m: JSONRPCMessage): void {
    if (this.closed) return;
    if (typeof m !== 'object' || m === null || (m as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
      this.onerror?.(new Error('Upstream sent a message that is not JSON-RPC 2.0.'));
      return;
    }
    this.onmessage?.(m);
  }

  /**
   * Reads an SSE body as it arrives. A POST's stream that ends before answering every request it
   * carried answers them with ConnectionClosed (the caller treats the link as lost) instead of
   * leaving them to their timeouts; a GET stream that ends is reopened (see openGetStream).
   */
  private readSse(body: Body, awaiting: Set<string | number> | undefined, isGet: boolean): void {
    this.streams.add(body);
    const parser = createParser({
      onEvent: (ev) => {
        // Only the GET stream's position is resumed: a POST stream's event id sent on a GET would
        // replay that POST stream instead of opening the standalone one.
        if (ev.id && isGet) this.lastEventId = ev.id;
        if (!ev.data || (ev.event && ev.event !== 'message')) return;
        let m: JSONRPCMessage;
        try {
          m = JSON.parse(ev.data) as JSONRPCMessage;
        } catch (e) {
          this.onerror?.(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        const id = (m as { id?: string | number }).id;
        if (awaiting && id !== undefined && !('method' in m)) awaiting.delete(id);
        this.deliver(m);
      },
      onRetry: (ms) => (this.retryMs = ms),
    });
    // undici's body ignores setEncoding; a decoder keeps characters split across chunks whole.
    const decoder = new StringDecoder('utf8');
    body.on('data', (chunk: Buffer) => parser.feed(decoder.write(chunk)));
    let ended = false;
    const end = (error?: Error): void => {
      if (ended) return;
      ended = true;
      this.streams.delete(body);
      if (this.closed) return;
      if (error) this.onerror?.(new Error(`SSE stream disconnected: ${error.message}`));
      for (const id of awaiting ?? []) {
        this.deliver({
          jsonrpc: '2.0',
          id,
          error: {
            code: ErrorCode.ConnectionClosed,
            message: 'The upstream ended the response stream before answering.',
          },
        });
      }
      if (isGet) this.scheduleGetStream();
    };
    body.once('end', () => end());
    body.once('error', (e: Error) => end(e));
    body.once('close', () => end());
  }

  /** The standalone stream for server-initiated messages; 405 means the server offers none. */
  private openGetStream(): void {
    if (this.closed) return;
    const headers = this.headers('text/event-stream', false);
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    this.o.pool.request({ path: this.path, method: 'GET', headers }).then(
      async (res) => {
        if (res.statusCode === 405) return void (await res.body.dump());
        if (res.statusCode !== 200 || this.closed) {
          await res.body.dump();
          if (!this.closed) {
            this.onerror?.(
              new StreamableHTTPError(res.statusCode, `Failed to open SSE stream: HTTP ${res.statusCode}`),
            );
            this.scheduleGetStream();
          }
          return;
        }
        this.getAttempts = 0;
        this.readSse(res.body, undefined, true);
      },
      (e: unknown) => {
        if (this.closed) return;
        this.onerror?.(e instanceof Error ? e : new Error(String(e)));
        this.scheduleGetStream();
      },
    );
  }

  private scheduleGetStream(): void {
    const retries = this.o.getStreamRetries ?? 2;
    if (this.closed || this.getAttempts >= retries) return;
    this.getAttempts++;
    const delay = this.retryMs ?? 1000 * 1.5 ** (this.getAttempts - 1);
    this.getRetryTimer = setTimeout(() => this.openGetStream(), delay);
    this.getRetryTimer.unref();
  }
}

/** The ids of the requests in `message` (one message or a batch). */
function requestIds(message: JSONRPCMessage | JSONRPCMessage[]): Set<string | number> | undefined {
  const all = Array.isArray(message) ? message : [message];
  let ids: Set<string | number> | undefined;
  for (const m of all) {
    const r = m as { id?: string | number; method?: string };
    if (r.method !== undefined && r.id !== undefined) (ids ??= new Set()).add(r.id);
  }
  return ids;
}
