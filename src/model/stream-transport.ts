// An MCP SDK Transport over any readable/writable byte-stream pair, with newline-delimited
// JSON-RPC framing: shared by the gateway (docker attach, process sockets) and by backends
// (stdio health probes). Owns framing only; it never spawns, dials or retries anything.

import type { Readable, Writable } from 'node:stream';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface StreamTransportOptions {
  /** Called once by close(), after the streams are released (for example to end a docker attach). */
  onClose?: () => void | Promise<void>;
  maxBufferSize?: number;
}

/**
 * Wraps a byte stream pair as an SDK Transport: messages are JSON lines, read with the SDK's
 * ReadBuffer and written with serializeMessage. A line that is not JSON-RPC is reported through
 * onerror and skipped, so a server that logs to stdout does not kill the session.
 */
export function streamTransport(readable: Readable, writable: Writable, opts: StreamTransportOptions = {}): Transport {
  const buffer = new ReadBuffer({ maxBufferSize: opts.maxBufferSize });
  let closed = false;
  let started = false;

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
    async send(message: JSONRPCMessage) {
      if (closed) throw new Error('Transport is closed.');
      const line = serializeMessage(message);
      await new Promise<void>((resolve, reject) => {
        const ok = writable.write(line, (err) => (err ? reject(err) : undefined));
        if (ok) resolve();
        else writable.once('drain', resolve);
      });
    },
    async close() {
      if (closed) return;
      finish();
      await opts.onClose?.();
    },
  };

  function onData(chunk: Buffer | string): void {
    try {
      buffer.append(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    } catch (e) {
      transport.onerror?.(e as Error);
      return;
    }
    for (;;) {
      let msg: JSONRPCMessage | null;
      try {
        msg = buffer.readMessage();
      } catch (e) {
        transport.onerror?.(new Error(`Skipped a line that is not JSON-RPC: ${(e as Error).message}`));
        continue;
      }
      if (msg === null) break;
      transport.onmessage?.(msg);
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
    buffer.clear();
    transport.onclose?.();
  }

  return transport;
}
