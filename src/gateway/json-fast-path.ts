// The Transport a downstream Streamable HTTP session's Server talks to: it wraps the SDK's
// StreamableHTTPServerTransport and adds a plain-JSON path for a single request that asked for
// no progress, answering on node:http without SSE or web streams. Requests the session's
// `direct` handler takes (tools/call, prompts/get, resources/read, the lists, ping) skip the SDK
// Server too; other single requests reach it through onmessage. Everything else (progress,
// batches, GET streams, DELETE, errors) stays with the SDK transport. Hand-written because the
// SDK transport answers through web-standard Request/Response adapters on every call.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { CallCancel } from './call-signal.js';
import type { DirectHandler } from './downstream.js';
import { onTheWire } from './wire-error.js';

/** A request answered by the direct handler: its response and the controller that cancels it. */
interface DirectCall {
  res: ServerResponse;
  abort: CallCancel;
}

export class JsonFastPathTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  /** Requests taken by the JSON path, waiting for their response. */
  private readonly pending = new Map<RequestId, ServerResponse>();
  /** Requests the direct handler is serving. */
  private readonly direct_ = new Map<RequestId, DirectCall>();
  /** Serves requests without the SDK Server (set by the HTTP handler after openServer). */
  direct: DirectHandler | undefined;

  constructor(readonly inner: StreamableHTTPServerTransport) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  async start(): Promise<void> {
    this.inner.onmessage = (m, extra) => {
      // The SDK Server does not know direct requests, so their cancellation is handled here.
      const n = m as { method?: string; params?: { requestId?: RequestId; reason?: unknown } };
      if (n.method === 'notifications/cancelled' && n.params?.requestId !== undefined) {
        const call = this.direct_.get(n.params.requestId);
        if (call) return call.abort.abort(n.params.reason ?? 'Cancelled by the client.');
      }
      this.onmessage?.(m, extra);
    };
    this.inner.onerror = (e) => this.onerror?.(e);
    this.inner.onclose = () => {
      this.failPending();
      this.onclose?.();
    };
    await this.inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (('result' in message || 'error' in message) && message.id !== undefined) {
      const res = this.pending.get(message.id);
      if (res) {
        this.pending.delete(message.id);
        return reply(res, this.sessionId, message);
      }
    }
    // A request on the JSON path asked for no progress; anything else it emits has no channel
    // (the SDK's own JSON response mode drops these too).
    if (options?.relatedRequestId !== undefined && this.pending.has(options.relatedRequestId)) return;
    return this.inner.send(message, options);
  }

  async close(): Promise<void> {
    this.failPending();
    await this.inner.close();
  }

  /**
   * Takes `body` on the JSON path when it qualifies and returns true; false leaves the request
   * to the SDK transport (which also produces every protocol error the same way as before).
   */
  tryHandle(req: IncomingMessage, res: ServerResponse, body: unknown): boolean {
    const request = this.onmessage ? qualifying(req, body) : undefined;
    if (!request || this.pending.has(request.id) || this.direct_.has(request.id)) return false;
    if (this.direct) {
      const abort = new CallCancel();
      const answer = this.direct(request, abort);
      if (answer) {
        const call: DirectCall = { res, abort };
        this.direct_.set(request.id, call);
        // A client that hangs up has given up on the request: the upstream call is cancelled.
        res.once('close', () => {
          if (this.direct_.get(request.id) !== call) return;
          this.direct_.delete(request.id);
          if (!res.writableFinished) abort.abort('The client disconnected.');
        });
        answer.then(
          (result) => this.finish(request.id, call, { jsonrpc: '2.0', id: request.id, result }),
          (e: unknown) => this.finish(request.id, call, { jsonrpc: '2.0', id: request.id, error: errorOf(e) }),
        );
        return true;
      }
    }
    this.pending.set(request.id, res);
    this.onmessage!(request, { requestInfo: { headers: req.headers } });
    return true;
  }

  private finish(id: RequestId, call: DirectCall, message: JSONRPCMessage): void {
    // A cancelled request gets no response (MCP); it stays held until the session ends, as the
    // SDK transport holds it too.
    if (call.abort.aborted) return;
    if (this.direct_.get(id) === call) this.direct_.delete(id);
    reply(call.res, this.sessionId, message);
  }

  private failPending(): void {
    for (const [id, call] of this.direct_) {
      call.abort.abort('Session closed.');
      reply(call.res, this.sessionId, {
        jsonrpc: '2.0',
        id,
        error: { code: ErrorCode.ConnectionClosed, message: 'Session closed.' },
      });
    }
    this.direct_.clear();
    for (const [id, res] of this.pending) {
      reply(res, this.sessionId, {
        jsonrpc: '2.0',
        id,
        error: { code: ErrorCode.ConnectionClosed, message: 'Session closed.' },
      });
    }
    this.pending.clear();
  }
}

/**
 * Writes the answer with its Content-Length: node:http then sends the head and the body in one
 * write, where writeHead without a length makes it a chunked body (five buffers in a writev and a
 * terminating chunk for the client to parse).
 */
function reply(res: ServerResponse, sessionId: string | undefined, message: JSONRPCMessage): void {
  if (res.writableEnded || res.destroyed) return;
  const body = JSON.stringify(message);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
  res.writeHead(200, headers);
  res.end(body);
}

/** The JSON-RPC error the SDK Server would send for a handler that threw `e` (bare message, wire-error.ts). */
function errorOf(e: unknown): { code: number; message: string; data?: unknown } {
  const x = onTheWire(e) as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const code = typeof x?.code === 'number' && Number.isSafeInteger(x.code) ? x.code : ErrorCode.InternalError;
  const message = typeof x?.message === 'string' ? x.message : 'Internal error';
  return x?.data !== undefined ? { code, message, data: x.data } : { code, message };
}

/** One request, no progress token, and headers the SDK transport would accept as they are. */
function qualifying(req: IncomingMessage, body: unknown): JSONRPCRequest | undefined {
  if (req.method !== 'POST' || typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const accept = req.headers.accept ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) return undefined;
  const version = req.headers['mcp-protocol-version'];
  if (version !== undefined && (Array.isArray(version) || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)))
    return undefined;
  // The JSON-RPC request shape, checked by hand (the SDK's schema check copies the whole body).
  const r = body as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  if (r.jsonrpc !== '2.0' || typeof r.method !== 'string' || r.method === 'initialize') return undefined;
  if (typeof r.id !== 'string' && !(typeof r.id === 'number' && Number.isInteger(r.id))) return undefined;
  if (r.params !== undefined) {
    if (typeof r.params !== 'object' || r.params === null || Array.isArray(r.params)) return undefined;
    const meta = (r.params as { _meta?: unknown })._meta;
    if (meta !== undefined && (typeof meta !== 'object' || meta === null)) return undefined;
    if ((meta as { progressToken?: unknown } | undefined)?.progressToken !== undefined) return undefined;
  }
  return body as JSONRPCRequest;
}
