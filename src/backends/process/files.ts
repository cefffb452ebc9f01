// Where the process backend keeps its per-runtime files (status JSON, unix socket, log) and the
// shapes of the supervisor spec and status file. Status files are the backend's "labels": they
// hold no secret values, only what observe() needs (pids, spec hash, live spec, socket path).

import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeSpec } from '../../model/resources.js';

/** Which launch of which runtime: shared by the supervisor spec and its status file. */
export interface LaunchIdentity {
  version: 1;
  launchId: string;
  stack: string;
  runtime: string;
  address: string;
  backend: string;
  specHash: string;
}

/** Everything the detached supervisor needs. Sent over its stdin, never on argv or in a file. */
export interface SupervisorSpec extends LaunchIdentity {
  command: string;
  args: string[];
  cwd: string;
  /** The child's complete environment, secrets included: kept in memory only. */
  env: Record<string, string>;
  socketPath: string;
  statusPath: string;
  logPath: string;
  restart: { maxRestarts: number; backoffInitialMs: number; backoffMaxMs: number; stableMs: number };
  /** What observe() reports as live values: the spec without secret values. */
  live: Partial<RuntimeSpec>;
}

/**
 * The first line a client sends to ask for a direct session (the supervisor out of the data path,
 * see supervisor.ts); a plain MCP client's first byte is JSON's.
 */
export const DIRECT_PREAMBLE = 'contextforge-direct-session/1\n';

export type SupervisorState = 'starting' | 'running' | 'backoff' | 'failed' | 'stopped';

export interface StatusFile extends LaunchIdentity {
  supervisorPid: number;
  /** The warm child, ready for the next connection. */
  childPid?: number;
  /** Children serving a connection, one per session. */
  sessionPids?: number[];
  state: SupervisorState;
  /** Unexpected child exits since the supervisor started. */
  restarts: number;
  startedAt: string;
  childStartedAt?: string;
  lastExit?: { code: number | null; signal: string | null; at: string; error?: string };
  /** True while at least one session is open. */
  connected: boolean;
  socketPath: string;
  /** The supervisor serves direct sessions (DIRECT_PREAMBLE); absent from older supervisors. */
  direct?: boolean;
  logPath: string;
  live: Partial<RuntimeSpec>;
}

export interface RuntimeFiles {
  status: string;
  log: string;
  socket: string;
}

/** `.contextforge/process/<stack>` beside the config. */
export function processDir(configDir: string, stack: string): string {
  return join(configDir, '.contextforge', 'process', stack);
}

/**
 * Unix socket paths are limited to about 104 bytes (macOS) / 108 (Linux). When the natural
 * path is too long, a short path in the temp directory, derived from the long one, is used.
 */
const MAX_SOCKET_PATH = 100;

export function runtimeFiles(dir: string, runtime: string): RuntimeFiles {
  let socket = join(dir, `${runtime}.sock`);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    const h = createHash('sha256').update(socket).digest('hex').slice(0, 20);
    socket = join(tmpdir(), `contextforge-${h}.sock`);
  }
  return { status: join(dir, `${runtime}.json`), log: join(dir, `${runtime}.log`), socket };
}

/** Parses a status file's text; undefined for anything that is not one of ours. */
export function parseStatus(text: string): StatusFile | undefined {
  try {
    const v = JSON.parse(text) as Partial<StatusFile>;
    if (
      v &&
      v.version === 1 &&
      typeof v.runtime === 'string' &&
      typeof v.supervisorPid === 'number' &&
      typeof v.socketPath === 'string'
    ) {
      return v as StatusFile;
    }
  } catch {
    // A half-written or foreign file: treated as absent.
  }
  return undefined;
}
