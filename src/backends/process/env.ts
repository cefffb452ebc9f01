// What one process backend's steps work with: its name, the config directory that working_dir
// and .contextforge/ resolve against, the restart policy read from its config, and the values to
// scrub. backend.ts builds one and assembles the Backend interface; observe.ts, validate.ts,
// supervisor-spec.ts and lifecycle.ts take it explicitly and keep no state of their own.

import { resolve } from 'node:path';
import { parseDuration } from '../../config/index.js';
import type { ProcessBackend } from '../../generated/config.js';
import { processDir, type SupervisorSpec } from './files.js';

export interface ProcessBackendOptions {
  stack?: string;
  /** Absolute directory of the config: working_dir and .contextforge/ resolve against it. */
  configDir: string;
  sensitiveValues?: ReadonlySet<string>;
  /** Longest wait for a new server's answer to the MCP initialize of the health check (default 20 s). */
  healthTimeoutMs?: number;
}

export interface ProcessEnv {
  /** The backend's name in the config. */
  readonly name: string;
  readonly options: ProcessBackendOptions;
  /** The directory commands run in unless their source names a cwd (working_dir, resolved). */
  readonly base: string;
  /** The supervisor's restart policy of every runtime (`restart: no` turns it off for one). */
  readonly restart: SupervisorSpec['restart'];
}

const DEFAULTS = { maxRestarts: 10, backoffInitialMs: 500, backoffMaxMs: 30_000, stableMs: 10_000 };

export function createEnv(name: string, config: ProcessBackend, options: ProcessBackendOptions): ProcessEnv {
  return {
    name,
    options,
    base: resolve(options.configDir, config.working_dir ?? '.'),
    restart: {
      maxRestarts: config.restart?.max_restarts ?? DEFAULTS.maxRestarts,
      backoffInitialMs: Math.round(
        (parseDuration(config.restart?.backoff_initial) ?? DEFAULTS.backoffInitialMs / 1000) * 1000,
      ),
      backoffMaxMs: Math.round((parseDuration(config.restart?.backoff_max) ?? DEFAULTS.backoffMaxMs / 1000) * 1000),
      stableMs: DEFAULTS.stableMs,
    },
  };
}

/** The directory of one stack's status files, sockets and logs. */
export function stackDir(env: ProcessEnv, stack: string): string {
  return processDir(env.options.configDir, stack);
}
