// Stdio connectors: a child process spawned per connect, spoken to with the shared
// newline-delimited transport (model/stream-transport.ts, re-exported here for the gateway's
// callers). Owns spawning and stopping the child; framing is stream-transport's. Docker attach
// lives in docker-attach.ts and builds on streamTransport too.
// Not the SDK's StdioClientTransport: it validates every line against the whole JSON-RPC zod
// schema (copying each result, which the CallChannel passes through unread) and writes each
// message with its own write(); on the gateway's stdio path both cost more than the hop itself
// (issue 11). The SDK's safe default environment and its stop sequence (stdin end, SIGTERM, SIGKILL,
// two seconds apart) are kept.
import { spawn, type ChildProcess } from 'node:child_process';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { streamTransport } from '../model/stream-transport.js';
import type { StdioConnector } from './types.js';

export { streamTransport, type StreamTransportOptions } from '../model/stream-transport.js';

const STOP_STEP_MS = 2000;

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
      const child = spawn(opts.command, opts.args ?? [], {
        env: { ...getDefaultEnvironment(), ...(opts.env ?? {}) },
        cwd: opts.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        windowsHide: true,
      });
      // A spawn failure (no such command, bad cwd) rejects the connect, as the SDK's start() did.
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => {
          child.off('error', reject);
          resolve();
        });
        child.once('error', reject);
      });
      // Later errors (a failed kill) must not crash the gateway; the transport reports the streams'.
      child.on('error', () => undefined);
      drainStderr(child, opts.onStderr);
      return streamTransport(child.stdout!, child.stdin!, { onClose: () => stopChild(child) });
    },
  };
}

/** Reads the child's stderr so that it never blocks on a full pipe; lines go to `onLine` if given. */
function drainStderr(child: ChildProcess, onLine: ((line: string) => void) | undefined): void {
  const err = child.stderr!;
  if (!onLine) return void err.resume();
  let pending = '';
  err.setEncoding('utf8');
  err.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) onLine(l);
  });
}

/** Ends the child: stdin closed first (a stdio server exits on EOF), then SIGTERM, then SIGKILL. */
async function stopChild(child: ChildProcess): Promise<void> {
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  if (exited()) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const wait = (): Promise<void> => Promise.race([gone, new Promise<void>((r) => setTimeout(r, STOP_STEP_MS).unref())]);
  child.stdin?.end();
  await wait();
  if (!exited()) {
    child.kill('SIGTERM');
    await wait();
  }
  if (!exited()) child.kill('SIGKILL');
}
