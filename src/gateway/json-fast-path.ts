// The Transport a downstream Streamable HTTP session's Server talks to: it wraps the SDK's
// StreamableHTTPServerTransport and adds a plain-JSON path for a single request that asked for
// no progress (the common tools/call), answering on node:http without SSE or web streams.
// Everything else (progress, batches, GET streams, DELETE, errors) stays with the SDK transport.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  JSONRPCRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

export class JsonFastPathTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  /** Requests taken by the JSON path, waiting for their response. */
  private readonly pending = new Map<RequestId, ServerResponse>();

  constructor(readonly inner: StreamableHTTPServerTransport) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  async start(): Promise<void> {
    this.inner.onmessage = (m, extra) => this.onmessage?.(m, extra);
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
    if (!request || this.pending.has(request.id)) return false;
    this.pending.set(request.id, res);
    this.onmessage!(request, { requestInfo: { headers: req.headers } });
    return true;
  }

  private failPending(): void {
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

function reply(res: ServerResponse, sessionId: string | undefined, message: JSONRPCMessage): void {
  if (res.writableEnded || res.destroyed) return;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
  res.writeHead(200, headers);
  res.end(JSON.stringify(message));
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
  const parsed = JSONRPCRequestSchema.safeParse(body);
  if (!parsed.success || parsed.data.method === 'initialize' || parsed.data.params?._meta?.progressToken !== undefined)
    return undefined;
  return parsed.data;
}
