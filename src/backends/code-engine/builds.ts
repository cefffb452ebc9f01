// GitHub sources on Code Engine: the git URL of a repo, the commit a ref resolves to (plan time,
// `git ls-remote` through simple-git), and at apply time a Code Engine build (created or patched)
// plus a build run polled to completion. Failure reasons come back as diagnostics. Never clones.

import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit } from 'simple-git';
import { error, type Diagnostic, type Result } from '../../diag/diagnostic.js';
import type { CodeEngineBackend } from '../../generated/config.js';
import { parseDuration } from '../../config/quantities.js';
import type { NormalizedSource } from '../../plan/types.js';
import type { ProjectClient } from './client.js';
import type { BuildPatch, BuildPrototype } from './types.js';

type GithubSource = Extract<NormalizedSource, { type: 'github' }>;

/** Where a `repo:` value is cloned from: a full URL as is, a path as file://, owner/name on the host. */
export function repoUrl(repo: string, baseUrl: string | undefined, configDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^git@/.test(repo)) return repo;
  if (isAbsolute(repo) || repo.startsWith('./') || repo.startsWith('../')) return pathToFileURL(resolve(configDir, repo)).href;
  const base = baseUrl ?? 'https://github.com';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(base)) return `${base.replace(/\/$/, '')}/${repo}`;
  return pathToFileURL(resolve(configDir, base, repo)).href;
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/**
 * The environment for git: never prompt (a plan must not hang on a password question), and no
 * askpass helper inherited from an IDE terminal (simple-git refuses to run with one).
 */
function gitEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(GIT|SSH)_ASKPASS$/.test(k)) env[k] = v;
  env.GIT_TERMINAL_PROMPT = '0';
  return env;
}

/** The commit `ref` names in the repository at `url` (one `git ls-remote`), or a diagnostic. */
export async function resolveCommit(url: string, ref: string, address: string): Promise<Result<string>> {
  if (FULL_SHA.test(ref)) return { value: ref, diags: [] };
  let out: string;
  try {
    out = await simpleGit().env(gitEnv()).listRemote([url]);
  } catch (err) {
    return {
      diags: [error('ce.source-unreachable', `the repository of ${address} cannot be read`, {
        address,
        detail: `git ls-remote ${url} failed: ${String((err as Error).message).split('\n')[0]}. Check the repo, github.base_url and credentials.`,
      })],
    };
  }
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/);
    if (sha && name) refs.set(name, sha);
  }
  const candidates = ref === 'HEAD' ? ['HEAD'] : [`refs/tags/${ref}^{}`, `refs/tags/${ref}`, `refs/heads/${ref}`, ref];
  for (const c of candidates) {
    const sha = refs.get(c);
    if (sha) return { value: sha, diags: [] };
  }
  // A short commit id: accept a unique prefix among the advertised tips.
  if (/^[0-9a-f]{7,39}$/.test(ref)) {
    const hits = [...new Set([...refs.values()].filter((s) => s.startsWith(ref)))];
    if (hits.length === 1) return { value: hits[0], diags: [] };
  }
  return {
    diags: [error('ce.source-ref-unknown', `${address}: ${ref} is not a branch, tag or commit of ${url}`, {
      address,
      detail: 'Fix branch/tag/commit of the catalog entry; a commit must be given in full or be a branch/tag tip.',
    })],
  };
}

/** `<output_registry>/<slug>:<sha12>`. */
export function builtImage(config: CodeEngineBackend, slug: string, commit: string): string {
  const registry = (config.build?.output_registry ?? '').replace(/\/$/, '');
  return `${registry}/${slug.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}:${commit.slice(0, 12)}`;
}

export interface BuildInput {
  project: ProjectClient;
  config: CodeEngineBackend;
  buildName: string;
  source: GithubSource;
  url: string;
  commit: string;
  image: string;
  address: string;
  signal: AbortSignal;
  progress(message: string): void;
  pollMs?: number;
}

function buildPrototype(input: BuildInput): BuildPrototype {
  const b = input.config.build ?? {};
  const timeout = parseDuration(b.timeout);
  const proto: BuildPrototype = {
    name: input.buildName,
    output_image: input.image,
    output_secret: b.output_secret ?? '',
    strategy_type: 'dockerfile',
    source_type: 'git',
    source_url: input.url,
    source_revision: input.commit,
    strategy_spec_file: input.source.dockerfile,
    strategy_size: b.strategy_size ?? 'medium',
    timeout: timeout === undefined ? 600 : Math.min(3600, Math.max(1, Math.round(timeout))),
  };
  if (input.source.context && input.source.context !== '.') proto.source_context_dir = input.source.context.replace(/^\.\//, '');
  const params = Object.entries(input.source.buildArgs);
  if (params.length) proto.run_build_params = params.map(([name, value]) => ({ type: 'literal', name, value }));
  return proto;
}

/** Ensures the build, runs it and waits; resolves to the built image or a diagnostic. */
export async function runBuild(input: BuildInput): Promise<{ ok: boolean; diags: Diagnostic[] }> {
  const { project, buildName } = input;
  const proto = buildPrototype(input);
  const existing = await project.builds.find(buildName);
  if (!existing) {
    input.progress(`creating build ${buildName}`);
    await project.builds.create(proto);
  } else {
    await project.builds.patchWithRetryOn412(buildName, (cur) => {
      const patch: BuildPatch = {};
      const c = cur as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(proto)) {
        if (k !== 'name' && JSON.stringify(c[k]) !== JSON.stringify(v)) (patch as Record<string, unknown>)[k] = v;
      }
      return Object.keys(patch).length ? patch : null;
    });
  }
  input.progress(`building ${input.image} from ${input.commit.slice(0, 12)}`);
  const run = await project.buildRuns.create({ build_name: buildName });
  const done = await project.buildRuns.waitForCompletion(run.value.name, { intervalMs: input.pollMs ?? 1000, signal: input.signal, timeoutMs: (proto.timeout ?? 600) * 1000 + 60_000 });
  if (done.status === 'succeeded') {
    input.progress(`build run ${done.name} succeeded`);
    return { ok: true, diags: [] };
  }
  const reason = done.status_details?.reason ?? done.status;
  return {
    ok: false,
    diags: [error('ce.build-failed', `the Code Engine build of ${input.address} ${done.status === 'failed' ? 'failed' : 'did not finish'}: ${reason}`, {
      address: input.address,
      detail: `Build run ${done.name} of build ${buildName} (commit ${input.commit.slice(0, 12)}) ended ${done.status} with reason ${reason}. ${hintFor(reason)}`,
    })],
  };
}

function hintFor(reason: string): string {
  if (reason === 'missing_code_repo_access') return 'Code Engine cannot read the repository: make it reachable or add a source secret.';
  if (reason === 'missing_registry_access' || reason === 'spec_output_secret_ref_not_found') return 'Check build.output_secret (a registry secret with push rights in the project).';
  if (reason === 'timeout') return 'Raise build.timeout (at most 3600 s) or a larger build.strategy_size.';
  return 'Look at the build run logs with `ibmcloud ce buildrun logs`.';
}
