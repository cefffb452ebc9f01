// Stdio connectors: a child process (via the SDK's StdioClientTransport). The generic wrapper
// that turns any readable/writable pair into an SDK Transport lives in model/stream-transport.ts
// (backends use it for health probes) and is re-exported here for the gateway's callers.
// Docker attach lives in docker-attach.ts and builds on streamTransport.
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { StdioConnector } from './types.js';

export { streamTransport, type StreamTransportOptions } from '../model/stream-transport.js';

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
