// The process backend's health check: one real MCP handshake (initialize, then close) over the
// supervisor's socket, with the SDK Client. The supervisor gives the check its own child, so it
// never takes a session from a gateway; that child is retired when the check disconnects.

import type { Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { streamTransport } from '../../model/stream-transport.js';
import { dialSocket } from './dial.js';

export type HandshakeResult = { ok: true; server: string } | { ok: false; error: string };

export async function mcpHandshake(
  socketPath: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<HandshakeResult> {
  let socket: Socket | undefined;
  const client = new Client({ name: 'contextforge-health', version: '1' });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<HandshakeResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          error: `it did not answer the MCP initialize request within ${Math.round(options.timeoutMs / 1000)}s`,
        }),
      options.timeoutMs,
    );
  });
  const attempt = (async (): Promise<HandshakeResult> => {
    socket = await dialSocket(socketPath);
    const s = socket;
    // The SDK's own request timeout (60 s) must not cut a longer health.timeout short.
    await client.connect(streamTransport(s, s, { onClose: () => void s.destroy() }), {
      timeout: options.timeoutMs + 1000,
    });
    const info = client.getServerVersion();
    return { ok: true, server: info ? `${info.name} ${info.version}` : 'unnamed server' };
  })().catch((err: Error): HandshakeResult => ({ ok: false, error: `the MCP handshake failed: ${err.message}` }));
  try {
    return await Promise.race([attempt, timedOut]);
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => undefined);
    socket?.destroy();
  }
}
