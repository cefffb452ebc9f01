// Stdio connectors: a child process (via the SDK's StdioClientTransport) and a generic
// wrapper that turns any readable/writable pair into an SDK Transport with newline-delimited
// JSON-RPC framing. Docker attach lives in docker-attach.ts and builds on streamTransport.
import type { Readable, Writable } from 'node:stream';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { StdioConnector } from './types.js';

export interface SpawnStdioOptions {
  command: string;
  args?: string[];
  /** Added to the SDK's safe default environment (PATH, HOME, ...), not to the whole process env. */
  env?: Record<string, string>;
  cwd?: string;
  /** Receives the child's stderr, line by line; by default it is discarded. */
  onStderr?: (line: string) => void;
}

/** A connector that spawns a fresh child process on every connect (that is, every reconnect). */
export function spawnStdioConnector(opts: SpawnStdioOptions): StdioConnector {
  return {
    key: `process:${[opts.command, ...(opts.args ?? [])].join(' ')}`,
    async connect(): Promise<Transport> {
      const t = new StdioClientTransport({
        command: opts.command,
        args: opts.args,
        env: { ...getDefaultEnvironment(), ...(opts.env ?? {}) },
        cwd: opts.cwd,
        stderr: 'pipe',
      });
      const err = t.stderr;
      if (err) {
        let pending = '';
        err.on('data', (chunk: Buffer) => {
          if (!opts.onStderr) return;
          pending += chunk.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const l of lines) if (l.trim()) opts.onStderr(l);
        });
      }
      return t;
    },
  };
}

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
