// A build run performed for real in Docker mode: clone the build's local git source (a path or
// file:// URL) at source_revision with simple-git, then `docker build` the context directory
// with the spec file and tag output_image. Remote URLs are out of reach here and fail the run.

import type Docker from 'dockerode';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { nowIso, type EmuBuildRun } from './state.js';

export interface DockerBuildInput {
  docker: Docker;
  run: EmuBuildRun;
  signal: AbortSignal;
  log: (line: string) => void;
}

function localSource(url: string | undefined): string | undefined {
  if (!url) return undefined;
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (url.startsWith('/')) return url;
  return undefined;
}

async function listFiles(root: string, dir = root, out: string[] = []): Promise<string[]> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === '.git') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await listFiles(root, full, out);
    else out.push(relative(root, full));
  }
  return out;
}

function finish(run: EmuBuildRun, status: 'succeeded' | 'failed', reason: string): void {
  run.status = status;
  run.details.reason = reason;
  run.details.completion_time = nowIso();
}

/** Drives `run` through running → succeeded|failed. Resolves the tagged image on success. */
export async function runDockerBuild({ docker, run, signal, log }: DockerBuildInput): Promise<string | undefined> {
  const cfg = run.config;
  run.status = 'running';
  run.details.reason = 'running';
  run.details.start_time = nowIso();
  if (cfg.strategy_type !== 'dockerfile') {
    finish(run, 'failed', 'unknown_strategy');
    return undefined;
  }
  const source = localSource(cfg.source_url);
  if (!source) {
    // The emulator cannot reach remote repositories (and must not try).
    log(`build run ${run.name}: only local paths and file:// URLs can be built by the emulator`);
    finish(run, 'failed', 'missing_code_repo_access');
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'cfemu-build-'));
  try {
    const git = simpleGit({ abort: signal });
    try {
      await git.clone(source, dir, ['--no-hardlinks', '--quiet']);
      const repo = simpleGit({ baseDir: dir, abort: signal });
      if (cfg.source_revision) await repo.checkout(cfg.source_revision, ['--quiet']);
      run.details.git_commit_sha = (await repo.revparse(['HEAD'])).trim();
      run.details.git_branch_name = cfg.source_revision ?? (await repo.revparse(['--abbrev-ref', 'HEAD'])).trim();
      const last = await repo.log({ maxCount: 1 });
      run.details.git_commit_author = last.latest?.author_name;
      run.details.source_timestamp = last.latest?.date
        ? new Date(last.latest.date).toISOString().replace(/\.\d{3}Z$/, 'Z')
        : undefined;
    } catch (e) {
      log(`build run ${run.name}: git: ${e instanceof Error ? e.message : String(e)}`);
      finish(run, 'failed', 'missing_code_repo_access');
      return undefined;
    }
    const context = resolve(dir, cfg.source_context_dir ?? '.');
    if (context !== dir && !context.startsWith(dir + sep)) {
      finish(run, 'failed', 'invalid_build_configuration');
      return undefined;
    }
    const specFile = cfg.strategy_spec_file ?? 'Dockerfile';
    try {
      if (!(await stat(join(context, specFile))).isFile()) throw new Error('not a file');
    } catch {
      log(`build run ${run.name}: ${specFile} not found in ${cfg.source_context_dir ?? '.'}`);
      finish(run, 'failed', 'invalid_build_configuration');
      return undefined;
    }
    const image = cfg.output_image!;
    const timeoutMs = (cfg.timeout ?? 600) * 1000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const stream = await docker.buildImage({ context, src: await listFiles(context) }, {
      t: image,
      dockerfile: specFile,
      rm: true,
      forcerm: true,
      abortSignal: AbortSignal.any([signal, timeout]),
    } as Docker.ImageBuildOptions);
    type Progress = { error?: string; errorDetail?: { message?: string } };
    const output: Progress[] = await new Promise<Progress[]>((res, rej) => {
      docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) =>
        err ? rej(err) : res(out),
      );
    }).catch((e: unknown) => {
      if (timeout.aborted) return [{ error: 'timeout' } as Progress];
      throw e;
    });
    const failure = output.find((o) => o.error || o.errorDetail);
    if (failure) {
      log(`build run ${run.name}: docker build failed: ${failure.errorDetail?.message ?? failure.error}`);
      finish(run, 'failed', failure.error === 'timeout' ? 'timeout' : 'failed');
      return undefined;
    }
    const info = await docker.getImage(image).inspect();
    run.details.output_digest = info.Id;
    finish(run, 'succeeded', 'succeeded');
    return image;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
