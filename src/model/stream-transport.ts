// An MCP SDK Transport over any readable/writable byte-stream pair, with newline-delimited
// JSON-RPC framing: shared by the gateway (docker attach, process sockets) and by backends
// (stdio health probes). Owns framing only; it never spawns, dials or retries anything.
//
// Hand-written rather than the SDK's ReadBuffer/serializeMessage pair for two costs measured on
// the process-backend hop (issue 21): the SDK writes each message with its own write() call, and
// validates every line it reads against its whole JSON-RPC zod schema, although the SDK's Protocol
// validates each request, result and notification again against the method's own schema. Here
// the messages of one event-loop turn leave in one write(), and a read line gets one JSON.parse
// and a check of the envelope (the shape Protocol dispatches on), nothing more.

import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface StreamTransportOptions {
  /** Called once by close(), after the streams are released (for example to end a docker attach). */
  onClose?: () => void | Promise<void>;
  /** Longest line kept while waiting for its newline (default 10 MiB, as the SDK); longer is an error. */
  maxBufferSize?: number;
}

const DEFAULT_MAX_LINE = 10 * 1024 * 1024;

/** The JSON-RPC 2.0 envelope: a request, a notification, a result or an error response. */
export function isJsonRpcEnvelope(v: unknown): v is JSONRPCMessage {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const m = v as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return false;
  const id = m.id;
  const idOk = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
  if (typeof m.method === 'string') return id === undefined || idOk;
  if (!idOk) return false;
  if ('result' in m) return typeof m.result === 'object' && m.result !== null && !('error' in m);
  const e = m.error as Record<string, unknown> | undefined;
  return typeof e === 'object' && e !== null && typeof e.code === 'number' && typeof e.message === 'string';
}

/**
 * Wraps a byte stream pair as an SDK Transport: messages are JSON lines. A line that is not a
 * JSON-RPC message is reported through onerror and skipped, so a server that logs to stdout does
 * not kill the session.
 */
export function streamTransport(readable: Readable, writable: Writable, opts: StreamTransportOptions = {}): Transport {
  const maxLine = opts.maxBufferSize ?? DEFAULT_MAX_LINE;
  let pending: Buffer | undefined;
  let closed = false;
  let started = false;
  // Lines sent during this event-loop turn, written together when the turn's callbacks are done.
  let batch: string[] = [];
  let waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  const flush = (): void => {
    const lines = batch;
    const done = waiters;
    batch = [];
    waiters = [];
    if (closed || writable.destroyed) {
      for (const w of done) w.reject(new Error('Transport is closed.'));
      return;
    }
    const ok = writable.write(lines.length === 1 ? lines[0] : lines.join(''), (err) => {
      if (err) for (const w of done) w.reject(err);
    });
    // Backpressure: the senders of this batch wait for the drain, as with one write each.
    if (ok) for (const w of done) w.resolve();
    else writable.once('drain', () => done.forEach((w) => w.resolve()));
  };

  const transport: Transport = {
    async start() {
      if (started) throw new Error('streamTransport already started.');
      started = true;
      readable.on('data', onData);
      readable.on('error', onError);
      readable.on('end', onEnd);
      readable.on('close', onEnd);
      writable.on('error', onError);
    },
    send(message: JSONRPCMessage): Promise<void> {
      if (closed) return Promise.reject(new Error('Transport is closed.'));
      const line = `${JSON.stringify(message)}\n`;
      return new Promise<void>((resolve, reject) => {
        // nextTick runs once the current callback and its microtasks are done: every message
        // the SDK sends while handling one chunk of input goes out in the same write.
        if (batch.length === 0) process.nextTick(flush);
        batch.push(line);
        waiters.push({ resolve, reject });
      });
    },
    async close() {
      if (closed) return;
      finish();
      await opts.onClose?.();
    },
  };

  function onData(chunk: Buffer | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (pending) buf = Buffer.concat([pending, buf]);
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1 && !closed; nl = buf.indexOf(10, start)) {
      const line = buf.toString('utf8', start, nl).replace(/\r$/, '');
      start = nl + 1;
      if (line.trim() === '') continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch (e) {
        transport.onerror?.(new Error(`Skipped a line that is not JSON-RPC: ${(e as Error).message}`));
        continue;
      }
      if (!isJsonRpcEnvelope(msg)) {
        transport.onerror?.(
          new Error('Skipped a line that is not JSON-RPC: not a JSON-RPC 2.0 request, notification or response'),
        );
        continue;
      }
      transport.onmessage?.(msg);
    }
    pending = start < buf.length ? buf.subarray(start) : undefined;
    if (pending && pending.length > maxLine) {
      pending = undefined;
      transport.onerror?.(new Error(`A line longer than ${maxLine} bytes without a newline was dropped`));
    }
  }

  function onError(e: Error): void {
    transport.onerror?.(e);
  }

  function onEnd(): void {
    if (!closed) {
      finish();
      void opts.onClose?.();
    }
  }

  function finish(): void {
    closed = true;
    readable.off('data', onData);
    readable.off('end', onEnd);
    readable.off('close', onEnd);
    pending = undefined;
    transport.onclose?.();
  }

  return transport;
}
