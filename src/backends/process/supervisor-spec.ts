// One runtime compiled to what its supervisor runs (files.ts SupervisorSpec): the command (or a
// package source's installed executable) resolved against the working directory, an environment of a few inherited variables plus the
// declared ones, the file paths and the restart policy. Secret values go to the supervisor's
// memory through its spec, never to disk; the spec's `live` copy holds digests only.

import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { error, type Result } from '../../diag/diagnostic.js';
import type { DesiredResource } from '../../model/resources.js';
import { stackDir, type ProcessEnv } from './env.js';
import { runtimeFiles, type SupervisorSpec } from './files.js';
import { validateRuntime } from './validate.js';
import { installPackage, packageCacheDir } from '../../sources/package/install.js';
import type { ApplyContext } from '../backend.js';

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

/** The command line a supervisor runs, from a command source or an installed package. */
export interface LaunchCommand {
  command: string;
  args: string[];
  cwd?: string;
}

/**
 * What the supervisor starts: the command of a command source, or the executable of a package
 * source's installed release. The install happens here, once, before the supervisor starts, so
 * that the handshake's health.timeout measures the server and not the download.
 */
export async function launchCommand(
  env: ProcessEnv,
  d: DesiredResource,
  ctx: ApplyContext,
): Promise<Result<LaunchCommand>> {
  const src = d.spec.source;
  if (src.type === 'command') return { value: { command: src.command, args: src.args, cwd: src.cwd }, diags: [] };
  if (src.type !== 'package') return { diags: validateRuntime(env.name, d) };
  const installed = await installPackage(src, {
    cacheDir: packageCacheDir(),
    address: d.address,
    signal: ctx.signal,
    progress: ctx.progress,
  });
  if (!installed.value) return { diags: installed.diags.map((x) => ({ ...x, address: d.address })) };
  const { command, args } = installed.value;
  return { value: { command, args: [...args, ...src.args] }, diags: [] };
}

export function supervisorSpec(
  env: ProcessEnv,
  d: DesiredResource,
  stack: string,
  src: LaunchCommand,
): Result<SupervisorSpec> {
  const cwd = src.cwd ? resolve(env.base, src.cwd) : env.base;
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
  const vars: Record<string, string> = {};
  for (const k of INHERITED_ENV) if (process.env[k] !== undefined) vars[k] = process.env[k]!;
  Object.assign(vars, d.spec.env, d.secretEnv, { CONTEXTFORGE_LAUNCH_ID: launchId });
  const files = runtimeFiles(stackDir(env, stack), d.runtime);
  return {
    value: {
      version: 1,
      launchId,
      stack,
      runtime: d.runtime,
      address: d.address,
      backend: env.name,
      specHash: d.specHash,
      command,
      args: src.args,
      cwd,
      env: vars,
      socketPath: files.socket,
      statusPath: files.status,
      logPath: files.log,
      // `restart: no` on the runtime: a crash ends it (observe then reports it failed).
      restart: d.spec.restart === 'no' ? { ...env.restart, maxRestarts: 0 } : env.restart,
      // The whole normalized spec: it holds secret digests only, like the state store does.
      live: JSON.parse(JSON.stringify(d.spec)) as SupervisorSpec['live'],
    },
    diags: [],
  };
}
