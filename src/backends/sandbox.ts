// Discovery for the plan: reads the tool surface of a runtime's new artifact without deploying
// it. Docker runtimes run in the Docker sandbox (docker/sandbox.ts); process runtimes run their
// command (a package source: its release, once apply has installed it) with an empty environment
// and stdin/stdout as the MCP stream, killed afterwards; Code Engine runtimes use the Docker
// sandbox when the image is on the local engine, else are skipped with a note. Never throws: a failure is a note the plan prints as a warning.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import Dockerode from 'dockerode';
import type { Backend as BackendConfig } from '../generated/config.js';
import type { DesiredResource } from '../model/resources.js';
import { streamTransport } from '../model/stream-transport.js';
import type { Surface } from '../model/tool-surface.js';
import { clientFor } from './docker/client.js';
import { discoverInDockerSandbox } from './docker/sandbox.js';
import { listSurface } from './surface-client.js';
import { installedPackage, packageCacheDir } from '../sources/package/install.js';

export interface DiscoverContext {
  backends: Readonly<Record<string, BackendConfig>>;
  configDir: string;
  timeoutMs?: number;
}

export interface Discovery {
  surface?: Surface;
  note?: string;
}

/** PATH lookup done here, since the child gets no PATH of its own. */
function which(command: string): string | undefined {
  if (command.includes('/')) return command;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, command);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function discoverProcess(d: DesiredResource, ctx: DiscoverContext, timeoutMs: number): Promise<Discovery> {
  const src = d.spec.source;
  if (src.type === 'package') {
    // Plan does not install: a release is discovered once apply (or another stack) installed it.
    const installed = installedPackage(src, packageCacheDir());
    if (!installed)
      return { note: `${src.name} ${src.version} is not installed yet; apply installs it and the lock then reads it` };
    return discoverCommand(installed.command, [...installed.args, ...src.args], ctx.configDir, timeoutMs);
  }
  if (src.type !== 'command') return { note: `${src.type} sources do not run on the process backend` };
  if (d.spec.transport.type !== 'stdio') return { note: 'only stdio commands are discovered in a sandbox' };
  const b = ctx.backends[d.backend] as { working_dir?: string } | undefined;
  const base = resolve(ctx.configDir, b?.working_dir ?? '.');
  const cwd = src.cwd ? resolve(base, src.cwd) : base;
  const command =
    src.command === 'node'
      ? process.execPath
      : src.command.includes('/') && !isAbsolute(src.command)
        ? resolve(cwd, src.command)
        : which(src.command);
  if (!command) return { note: `${src.command} is not on PATH` };
  return discoverCommand(command, src.args, cwd, timeoutMs);
}

/** Runs one command with an empty environment and reads its surface over stdin/stdout. */
async function discoverCommand(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Discovery> {
  const child = spawn(command, args, { cwd, env: {}, stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  try {
    const failed = new Promise<never>((_, reject) => child.once('error', reject));
    failed.catch(() => undefined);
    const surface = await Promise.race([listSurface(streamTransport(child.stdout, child.stdin), timeoutMs), failed]);
    return { surface };
  } catch (e) {
    return { note: `the command failed: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

async function imageIsLocal(docker: Dockerode, image: string): Promise<boolean> {
  return docker
    .getImage(image)
    .inspect()
    .then(() => true)
    .catch(() => false);
}

/** The surface of d's configured artifact, read in a sandbox. */
export async function discoverSurface(d: DesiredResource, ctx: DiscoverContext): Promise<Discovery> {
  const timeoutMs = ctx.timeoutMs ?? 60_000;
  const b = ctx.backends[d.backend];
  if (d.backendType === 'process') return discoverProcess(d, ctx, timeoutMs);
  if (d.backendType === 'docker' && b?.type === 'docker') {
    if (d.spec.source.type !== 'docker')
      return { note: `${d.spec.source.type} sources are not discovered in a sandbox yet` };
    return discoverInDockerSandbox({ docker: clientFor(b).docker, desired: d, timeoutMs });
  }
  if (d.backendType === 'ibm_code_engine') {
    const src = d.spec.source;
    const local = new Dockerode();
    if (src.type === 'docker' && (await imageIsLocal(local, src.image)))
      return discoverInDockerSandbox({ docker: local, desired: d, timeoutMs });
    return { note: 'Code Engine images are discovered only when the image is on the local Docker engine' };
  }
  return { note: `backend ${d.backend} has no sandbox` };
}
