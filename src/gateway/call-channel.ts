// A Transport that sits between an upstream's SDK Client and its real transport (stdio or HTTP)
// and adds `call()`: a request the gateway only passes through (tools/call, prompts/get,
// resources/read) sent under an id of its own and answered with the upstream's result object as
// parsed once by the transport, without the Client's schema validation and copying. The Client
// keeps the protocol state (initialize, capabilities, its own requests, server-to-client
// requests, which the channel hands it untouched); the channel never touches its ids.
// Hand-written because the SDK has no pass-through request path: Protocol.request always parses
// the result against a schema and leaves an abort listener on the caller's signal.
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  McpError,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';
import type { CallSignal } from './call-signal.js';

const DEFAULT_TIMEOUT_MS = 60_000;

export interface CallOptions {
  signal?: CallSignal;
  /** Milliseconds without an answer (or progress, with resetTimeoutOnProgress) before the call fails; default 60 s. */
  timeout?: number;
  onprogress?: (p: { progress: number; total?: number; message?: string }) => void;
  resetTimeoutOnProgress?: boolean;
}

/**
 * One call in flight. It is its own abort listener (handleEvent) and its timer's argument, so a
 * call allocates no closures beyond its promise, and removes its listener when it settles.
 */
class PendingCall {
  timer: NodeJS.Timeout | undefined;
  constructor(
    readonly channel: CallChannel,
    readonly id: string,
    readonly o: CallOptions,
    readonly resolve: (r: Result) => void,
    readonly reject: (e: unknown) => void,
  ) {}

  handleEvent(): void {
    this.channel.cancel(
      this,
      this.o.signal?.reason ?? new McpError(ErrorCode.RequestTimeout, 'Request was cancelled.'),
    );
  }
}

function onTimeout(p: PendingCall): void {
  p.channel.cancel(
    p,
    new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: p.o.timeout ?? DEFAULT_TIMEOUT_MS }),
  );
}

export class CallChannel implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  private readonly pending = new Map<string, PendingCall>();
  private next = 0;
  private closed = false;

  constructor(readonly inner: Transport) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  /** Calls in flight (for tests and status). */
  get inFlight(): number {
    return this.pending.size;
  }

  async start(): Promise<void> {
    this.inner.onmessage = (m, extra) => this.receive(m, extra);
    this.inner.onerror = (e) => this.onerror?.(e);
    this.inner.onclose = () => {
      this.closed = true;
      this.failAll();
      this.onclose?.();
    };
    await this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll();
    await this.inner.close();
  }

  /** Ends the upstream's HTTP session politely, when the transport has one. */
  async terminateSession(): Promise<void> {
    const t = this.inner as Transport & { terminateSession?: () => Promise<void> };
    if (t.sessionId !== undefined && t.terminateSession) await t.terminateSession();
  }

  /** Sends one request under the channel's own id; resolves with the upstream's result as received. */
  call(method: string, params: Record<string, unknown> | undefined, o: CallOptions): Promise<Result> {
    if (this.closed) return Promise.reject(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
    if (o.signal?.aborted) return Promise.reject(o.signal.reason);
    const id = `cf-${++this.next}`;
    return new Promise<Result>((resolve, reject) => {
      const p = new PendingCall(this, id, o, resolve, reject);
      this.pending.set(id, p);
      o.signal?.addEventListener('abort', p, { once: true });
      p.timer = setTimeout(onTimeout, o.timeout ?? DEFAULT_TIMEOUT_MS, p);
      const sent = o.onprogress ? { ...params, _meta: { ...(params?._meta as object), progressToken: id } } : params;
      this.inner.send({ jsonrpc: '2.0', id, method, params: sent }).catch((e: unknown) => {
        if (this.settle(p)) reject(e);
      });
    });
  }

  /** Gives up on `p`: tells the upstream (notifications/cancelled) and rejects with `reason`. */
  cancel(p: PendingCall, reason: unknown): void {
    if (!this.settle(p)) return;
    this.inner
      .send({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: p.id, reason: String(reason instanceof Error ? reason.message : reason) },
      })
      .catch((e: unknown) => this.onerror?.(e instanceof Error ? e : new Error(String(e))));
    p.reject(reason);
  }

  /** Removes `p` from the table; false when it had already settled. */
  private settle(p: PendingCall): boolean {
    if (this.pending.get(p.id) !== p) return false;
    this.pending.delete(p.id);
    clearTimeout(p.timer);
    p.o.signal?.removeEventListener('abort', p);
    return true;
  }

  private receive(m: JSONRPCMessage, extra?: MessageExtraInfo): void {
    const msg = m as { id?: unknown; method?: string; params?: Record<string, unknown> };
    if (typeof msg.id === 'string' && msg.method === undefined) {
      const p = this.pending.get(msg.id);
      if (p) {
        this.settle(p);
        const r = m as { result?: Result; error?: { code: number; message: string; data?: unknown } };
        if (r.error) p.reject(new McpError(r.error.code, r.error.message, r.error.data));
        else p.resolve(r.result ?? {});
        return;
      }
    } else if (msg.method === 'notifications/progress' && typeof msg.params?.progressToken === 'string') {
      const p = this.pending.get(msg.params.progressToken);
      if (p?.o.onprogress) {
        if (p.o.resetTimeoutOnProgress) p.timer?.refresh();
        const { progress, total, message } = msg.params as { progress: number; total?: number; message?: string };
        p.o.onprogress({ progress, total, message });
        return;
      }
    }
    this.onmessage?.(m, extra);
  }

  private failAll(): void {
    if (this.pending.size === 0) return;
    const all = [...this.pending.values()];
    for (const p of all) {
      this.settle(p);
      p.reject(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
    }
  }
}
