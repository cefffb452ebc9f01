// The process backend: each runtime is a local command speaking MCP over stdio, run under a
// detached supervisor (supervisor.ts) that outlives the CLI, restarts it on crash and serves it
// on a unix socket. Ownership marks are the status files under .contextforge/process/<stack>/.
// It enforces no guardrails (compile-time warnings say so) and never writes a secret to disk.

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { error, type Diagnostic, type Result } from '../../diag/diagnostic.js';
import { systemErrorCode } from '../../diag/error.js';
import { redact } from '../../diag/redact.js';
import type { ProcessBackend } from '../../generated/config.js';
import { parseDuration } from '../../config/index.js';
import { defaultResourcePlan } from '../../model/resource-plan.js';
import type { Change, DesiredResource, ObservedResource, ObservedStatus } from '../../model/resources.js';
import type { ApplyContext, ApplyOutcome, Backend, BackendDescription, LogOptions } from '../backend.js';
import { PROCESS_CAPABILITIES } from '../../model/capabilities.js';
import { processDir, runtimeFiles, type StatusFile, type SupervisorSpec } from './files.js';
import { launchSupervisor, readStatus, removeRuntimeFiles, stopSupervisor, supervisorAlive } from './launch.js';
import { readLogLines } from './logs.js';

export interface ProcessBackendOptions {
  stack?: string;
  /** Absolute directory of the config: working_dir and .contextforge/ resolve against it. */
  configDir: string;
  sensitiveValues?: ReadonlySet<string>;
  /** Longest wait for a new server's answer to the MCP initialize of the health check (default 20 s). */
  healthTimeoutMs?: number;
}

/** Variables of the CLI's environment that children inherit; everything else must be declared. */
const INHERITED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TEMP',
  'TMP',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TERM',
  'SYSTEMROOT',
];

/**
 * A failed system call on the backend's own files (.contextforge/process/…): a diagnostic that
 * names the operation and the fix, never "a bug in the backend". Other errors stay bugs.
 */
function fsFailure(err: unknown, what: string, address?: string): Diagnostic | undefined {
  const code = systemErrorCode(err);
  if (!code) return undefined;
  return error('process.files-failed', `${what}: ${(err as Error).message}`, {
    ...(address ? { address } : {}),
    detail:
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'The disk holding .contextforge/process/ beside the config is full: free space and run it again.'
        : 'The process backend keeps its status files, sockets and logs in .contextforge/process/ beside the config: make sure that path is a directory writable by this user on a writable disk, then run it again.',
  });
}

const DEFAULTS = { maxRestarts: 10, backoffInitialMs: 500, backoffMaxMs: 30_000, stableMs: 10_000 };

function observedStatus(st: StatusFile, alive: boolean): ObservedStatus {
  if (!alive) return st.state === 'failed' ? 'failed' : 'exited';
  switch (st.state) {
    case 'running':
      return 'running';
    case 'starting':
    case 'backoff':
      return 'starting';
    case 'failed':
      return 'failed';
    case 'stopped':
      return 'stopped';
  }
}

export function toObserved(st: StatusFile): ObservedResource {
  const alive = supervisorAlive(st.supervisorPid);
  const o: ObservedResource = {
    address: st.address,
    runtime: st.runtime,
    backend: st.backend,
    specHash: st.specHash,
    live: { ...st.live },
    status: observedStatus(st, alive),
    restarts: st.restarts,
    startedAt: st.startedAt,
    native: {
      supervisorPid: st.supervisorPid,
      childPid: st.childPid,
      sessionPids: st.sessionPids ?? [],
      logPath: st.logPath,
      launchId: st.launchId,
    },
  };
  if (alive) o.endpoint = { transport: 'stdio', attach: { kind: 'process', socketPath: st.socketPath } };
  return o;
}

export function createProcessBackend(name: string, config: ProcessBackend, options: ProcessBackendOptions): Backend {
  const base = resolve(options.configDir, config.working_dir ?? '.');
  const restart = {
    maxRestarts: config.restart?.max_restarts ?? DEFAULTS.maxRestarts,
    backoffInitialMs: Math.round(
      (parseDuration(config.restart?.backoff_initial) ?? DEFAULTS.backoffInitialMs / 1000) * 1000,
    ),
    backoffMaxMs: Math.round((parseDuration(config.restart?.backoff_max) ?? DEFAULTS.backoffMaxMs / 1000) * 1000),
    stableMs: DEFAULTS.stableMs,
  };
  const dirOf = (stack: string): string => processDir(options.configDir, stack);

  function listStatuses(stack: string): StatusFile[] {
    const dir = dirOf(stack);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const out: StatusFile[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      const st = readStatus(join(dir, n));
      if (st && st.stack === stack && st.backend === name) out.push(st);
    }
    return out;
  }

  function supervisorSpec(d: DesiredResource, stack: string): Result<SupervisorSpec> {
    const src = d.spec.source;
    if (src.type !== 'command') return { diags: validateOne(d) };
    const cwd = src.cwd ? resolve(base, src.cwd) : base;
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
      return {
        diags: [
          error('process.cwd-missing', `working directory ${cwd} of ${d.address} does not exist`, {
            address: d.address,
            detail: 'Fix source.cwd of the catalog entry or working_dir of the backend.',
          }),
        ],
      };
    }
    // `node` means the Node that runs contextforge: it exists even where PATH lacks node.
    const command =
      src.command === 'node'
        ? process.execPath
        : src.command.includes('/') && !isAbsolute(src.command)
          ? resolve(cwd, src.command)
          : src.command;
    const launchId = randomUUID();
    const env: Record<string, string> = {};
    for (const k of INHERITED_ENV) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    Object.assign(env, d.spec.env, d.secretEnv, { CONTEXTFORGE_LAUNCH_ID: launchId });
    const dir = dirOf(stack);
    const files = runtimeFiles(dir, d.runtime);
    return {
      value: {
        version: 1,
        launchId,
        stack,
        runtime: d.runtime,
        address: d.address,
        backend: name,
        specHash: d.specHash,
        command,
        args: src.args,
        cwd,
        env,
        socketPath: files.socket,
        statusPath: files.status,
        logPath: files.log,
        // `restart: no` on the runtime: a crash ends it (observe then reports it failed).
        restart: d.spec.restart === 'no' ? { ...restart, maxRestarts: 0 } : restart,
        // The whole normalized spec: it holds secret digests only, like the state store does.
        live: JSON.parse(JSON.stringify(d.spec)) as SupervisorSpec['live'],
      },
      diags: [],
    };
  }

  function validateOne(d: DesiredResource): Diagnostic[] {
    const diags: Diagnostic[] = [];
    if (d.spec.source.type !== 'command') {
      diags.push(
        error(
          'process.source-unsupported',
          `runtime ${d.runtime} uses a ${d.spec.source.type} source, which backend ${name} (process) cannot run`,
          {
            address: d.address,
            range: d.range,
            detail:
              'The process backend runs local commands only: give the catalog entry `source: {type: command, command: ...}`, or put the runtime on a docker backend.',
          },
        ),
      );
    }
    if (d.spec.transport.type !== 'stdio') {
      diags.push(
        error(
          'process.transport-unsupported',
          `runtime ${d.runtime} speaks ${d.spec.transport.type}, but backend ${name} (process) attaches to stdio only`,
          {
            address: d.address,
            range: d.range,
            detail: 'Set `transport: {type: stdio}` on the catalog entry (command sources speak stdio by default).',
          },
        ),
      );
    }
    return diags;
  }

  async function start(d: DesiredResource, ctx: ApplyContext, created: boolean): Promise<ApplyOutcome> {
    const built = supervisorSpec(d, ctx.stack);
    if (!built.value) return { status: 'failed', diags: built.diags };
    const spec = built.value;
    mkdirSync(dirOf(ctx.stack), { recursive: true, mode: 0o700 });
    // Whatever ran under this name before (an older spec, a crashed supervisor) goes first.
    await stopSupervisor(spec.statusPath);
    removeRuntimeFiles({ status: spec.statusPath, socket: spec.socketPath });
    ctx.progress(`starting ${[spec.command, ...spec.args].join(' ')}`);
    ctx.progress('waiting for the MCP handshake');
    // The catalog's health.timeout first: a cold `npx -y` install happens inside this wait.
    const r = await launchSupervisor(spec, {
      healthTimeoutMs: d.healthTimeoutMs ?? options.healthTimeoutMs,
      signal: ctx.signal,
    });
    if (r.error || !r.status) {
      await stopSupervisor(spec.statusPath);
      const secrets = [...Object.values(d.secretEnv), ...(options.sensitiveValues ?? [])];
      return {
        status: 'failed',
        diags: [
          error(
            'process.start-failed',
            `${d.address} did not start: ${redact(r.error ?? 'no status was written', secrets)}`,
            {
              address: d.address,
              detail: `Check the command of catalog entry ${d.spec.catalog}; the full log is ${spec.logPath}.`,
            },
          ),
        ],
      };
    }
    return { status: created ? 'created' : 'updated', observed: toObserved(r.status), diags: [] };
  }

  async function remove(o: ObservedResource | undefined, address: string, stack: string): Promise<ApplyOutcome> {
    const runtime = o?.runtime ?? address.replace(/^runtime\./, '');
    const files = runtimeFiles(dirOf(stack), runtime);
    await stopSupervisor(files.status, {
      pid: typeof o?.native?.supervisorPid === 'number' ? o.native.supervisorPid : undefined,
    });
    removeRuntimeFiles(files);
    return { status: 'deleted', diags: [] };
  }

  async function applyChange(change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
    switch (change.action) {
      case 'noop':
        return { status: 'unchanged', observed: change.observed, diags: [] };
      case 'delete':
        return remove(change.observed, change.address, ctx.stack);
      case 'create':
      case 'update':
      case 'replace':
        if (!change.desired)
          return {
            status: 'failed',
            diags: [error('process.no-desired', `${change.address}: ${change.action} without a desired spec`)],
          };
        return start(change.desired, ctx, change.action === 'create');
    }
  }

  return {
    describe(): BackendDescription {
      return { name, kind: 'process', capabilities: PROCESS_CAPABILITIES };
    },
    validate(desired: readonly DesiredResource[]): Diagnostic[] {
      return desired.filter((d) => d.backend === name).flatMap(validateOne);
    },
    async observe(stack: string): Promise<Result<ObservedResource[]>> {
      try {
        return { value: listStatuses(stack).map(toObserved), diags: [] };
      } catch (err) {
        const d = fsFailure(err, `reading the runtimes of stack ${stack}`);
        if (d) return { diags: [d] };
        throw err;
      }
    },
    plan(desired: DesiredResource | undefined, observed: ObservedResource | undefined): Change {
      // Nothing changes in place: a new spec means a new child; a dead supervisor is restarted.
      const change = defaultResourcePlan(desired, observed, { restartInPlace: true, scope: 'all' });
      return { ...change, backendType: 'process' };
    },
    async apply(change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
      try {
        return await applyChange(change, ctx);
      } catch (err) {
        const d = fsFailure(err, `${change.address}: ${change.action}`, change.address);
        if (d) return { status: 'failed', diags: [d] };
        throw err;
      }
    },
    logs(observed: ObservedResource, opts: LogOptions): AsyncIterable<string> {
      const logPath =
        typeof observed.native?.logPath === 'string'
          ? observed.native.logPath
          : runtimeFiles(dirOf(options.stack ?? ''), observed.runtime).log;
      return readLogLines(logPath, opts);
    },
  };
}
