// A gateway StdioConnector for runtimes of the process backend: connects to the supervisor's
// unix socket and speaks newline-delimited JSON-RPC over it. It never starts or stops the
// server; the supervisor hands each connection a fresh child (one session per connection).

import { connect, type Socket } from 'node:net';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { streamTransport, type StdioConnector } from '../gateway/index.js';

export function processSocketConnector(socketPath: string): StdioConnector {
  return {
    key: `process-socket:${socketPath}`,
    async connect(): Promise<Transport> {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect(socketPath);
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
      socket.on('error', () => undefined);
      return streamTransport(socket, socket, { onClose: () => void socket.destroy() });
    },
  };
}
