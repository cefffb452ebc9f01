// The process backend: each runtime is a local command (or an installed package release, see
// sources/package) speaking MCP over stdio, run under a detached supervisor (supervisor.ts) that
// outlives the CLI, restarts it on crash and serves it on a unix socket. Ownership marks are the status files under .contextforge/process/<stack>/.
// It enforces no guardrails (compile-time warnings say so) and never writes a secret to disk.
//
// This module only assembles the Backend interface. The steps take the backend's env.ts
// explicitly: validate.ts (what it can run), observe.ts (status files → observed),
// supervisor-spec.ts (a runtime → what its supervisor runs), lifecycle.ts (one change),
// fs-failure.ts (a failed system call on its own files → a diagnostic).

import type { Diagnostic, Result } from '../../diag/diagnostic.js';
import type { ProcessBackend } from '../../generated/config.js';
import { defaultResourcePlan } from '../../model/resource-plan.js';
import type { Change, DesiredResource, ObservedResource } from '../../model/resources.js';
import type { ApplyContext, ApplyOutcome, Backend, BackendDescription, LogOptions } from '../backend.js';
import { PROCESS_CAPABILITIES } from '../../model/capabilities.js';
import { createEnv, stackDir, type ProcessBackendOptions } from './env.js';
import { runtimeFiles } from './files.js';
import { fsFailure } from './fs-failure.js';
import { applyChange } from './lifecycle.js';
import { readLogLines } from './logs.js';
import { listStatuses, toObserved } from './observe.js';
import { validateRuntime } from './validate.js';

export type { ProcessBackendOptions } from './env.js';
export { toObserved } from './observe.js';

export function createProcessBackend(name: string, config: ProcessBackend, options: ProcessBackendOptions): Backend {
  const env = createEnv(name, config, options);
  return {
    describe(): BackendDescription {
      return { name, kind: 'process', capabilities: PROCESS_CAPABILITIES };
    },
    validate(desired: readonly DesiredResource[]): Diagnostic[] {
      return desired.filter((d) => d.backend === name).flatMap((d) => validateRuntime(name, d));
    },
    async observe(stack: string): Promise<Result<ObservedResource[]>> {
      try {
        return { value: listStatuses(env, stack).map(toObserved), diags: [] };
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
        return await applyChange(env, change, ctx);
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
          : runtimeFiles(stackDir(env, options.stack ?? ''), observed.runtime).log;
      return readLogLines(logPath, opts);
    },
  };
}
