// One planned change of the process backend carried out: create/update/replace stop whatever
// ran under the runtime's name and launch a new supervisor, waiting for the MCP handshake;
// delete stops the supervisor and removes the runtime's files. backend.ts maps what this throws.

import { mkdirSync } from 'node:fs';
import { error } from '../../diag/diagnostic.js';
import { redact } from '../../diag/redact.js';
import type { Change, DesiredResource, ObservedResource } from '../../model/resources.js';
import type { ApplyContext, ApplyOutcome } from '../backend.js';
import { stackDir, type ProcessEnv } from './env.js';
import { runtimeFiles } from './files.js';
import { launchSupervisor, removeRuntimeFiles, stopSupervisor } from './launch.js';
import { toObserved } from './observe.js';
import { launchCommand, supervisorSpec } from './supervisor-spec.js';

export async function applyChange(env: ProcessEnv, change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
  switch (change.action) {
    case 'noop':
      return { status: 'unchanged', observed: change.observed, diags: [] };
    case 'delete':
      return remove(env, { observed: change.observed, address: change.address, stack: ctx.stack });
    case 'create':
    case 'update':
    case 'replace':
      if (!change.desired)
        return {
          status: 'failed',
          diags: [error('process.no-desired', `${change.address}: ${change.action} without a desired spec`)],
        };
      return start(env, { desired: change.desired, ctx, created: change.action === 'create' });
  }
}

interface StartInput {
  desired: DesiredResource;
  ctx: ApplyContext;
  /** Whether the outcome is `created` (else `updated`). */
  created: boolean;
}

async function start(env: ProcessEnv, input: StartInput): Promise<ApplyOutcome> {
  const { desired: d, ctx } = input;
  const launch = await launchCommand(env, d, ctx);
  if (!launch.value) return { status: 'failed', diags: launch.diags };
  const built = supervisorSpec(env, d, ctx.stack, launch.value);
  if (!built.value) return { status: 'failed', diags: built.diags };
  const spec = built.value;
  mkdirSync(stackDir(env, ctx.stack), { recursive: true, mode: 0o700 });
  // Whatever ran under this name before (an older spec, a crashed supervisor) goes first.
  await stopSupervisor(spec.statusPath);
  removeRuntimeFiles({ status: spec.statusPath, socket: spec.socketPath });
  ctx.progress(`starting ${[spec.command, ...spec.args].join(' ')}`);
  ctx.progress('waiting for the MCP handshake');
  // The catalog's health.timeout first: a cold `npx -y` install of a command source happens
  // inside this wait (a package source was installed above, before it).
  const r = await launchSupervisor(spec, {
    healthTimeoutMs: d.healthTimeoutMs ?? env.options.healthTimeoutMs,
    signal: ctx.signal,
  });
  if (r.error || !r.status) {
    await stopSupervisor(spec.statusPath);
    const secrets = [...Object.values(d.secretEnv), ...(env.options.sensitiveValues ?? [])];
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
  return { status: input.created ? 'created' : 'updated', observed: toObserved(r.status), diags: [] };
}

interface RemoveInput {
  observed: ObservedResource | undefined;
  address: string;
  stack: string;
}

async function remove(env: ProcessEnv, input: RemoveInput): Promise<ApplyOutcome> {
  const { observed: o, address, stack } = input;
  const runtime = o?.runtime ?? address.replace(/^runtime\./, '');
  const files = runtimeFiles(stackDir(env, stack), runtime);
  await stopSupervisor(files.status, {
    pid: typeof o?.native?.supervisorPid === 'number' ? o.native.supervisorPid : undefined,
  });
  removeRuntimeFiles(files);
  return { status: 'deleted', diags: [] };
}
