// GitHub sources on Code Engine: at apply time a Code Engine build (created or patched) plus a
// build run polled to completion, then the built image. Failure reasons come back as
// diagnostics. Never clones (refs are resolved by src/sources at plan time).

import { error, type Diagnostic } from '../../diag/diagnostic.js';
import type { CodeEngineBackend } from '../../generated/config.js';
import { parseDuration } from '../../config/index.js';
import type { NormalizedSource } from '../../model/resources.js';
import type { ProjectClient } from './client.js';
import type { BuildPatch, BuildPrototype } from './types.js';

type GithubSource = Extract<NormalizedSource, { type: 'github' }>;

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
  if (input.source.context && input.source.context !== '.')
    proto.source_context_dir = input.source.context.replace(/^\.\//, '');
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
  const done = await project.buildRuns.waitForCompletion(run.value.name, {
    intervalMs: input.pollMs ?? 1000,
    signal: input.signal,
    timeoutMs: (proto.timeout ?? 600) * 1000 + 60_000,
  });
  await pruneBuildRuns(project, buildName, input.config.build?.keep_runs ?? DEFAULT_KEEP_RUNS, done.name);
  if (done.status === 'succeeded') {
    input.progress(`build run ${done.name} succeeded`);
    return { ok: true, diags: [] };
  }
  const reason = done.status_details?.reason ?? done.status;
  return {
    ok: false,
    diags: [
      error(
        'ce.build-failed',
        `the Code Engine build of ${input.address} ${done.status === 'failed' ? 'failed' : 'did not finish'}: ${reason}`,
        {
          address: input.address,
          detail: `Build run ${done.name} of build ${buildName} (commit ${input.commit.slice(0, 12)}) ended ${done.status} with reason ${reason}. ${hintFor(reason)}`,
        },
      ),
    ],
  };
}

/** Build runs kept per build unless `build.keep_runs` says otherwise (a project allows 100). */
export const DEFAULT_KEEP_RUNS = 5;

/**
 * Deletes the oldest finished runs of a build beyond the newest `keep` (the run just made is
 * always kept; runs still pending or running are left alone). Best effort: a failure to prune
 * never fails the build.
 */
export async function pruneBuildRuns(
  project: ProjectClient,
  buildName: string,
  keep: number,
  current?: string,
): Promise<number> {
  try {
    const runs = (await project.buildRuns.listByBuild(buildName)).sort(
      (a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || b.name.localeCompare(a.name),
    );
    const old = runs
      .filter((r) => r.name !== current)
      .slice(Math.max(0, keep - (current ? 1 : 0)))
      .filter((r) => r.status === 'succeeded' || r.status === 'failed');
    for (const r of old) await project.buildRuns.delete(r.name, { ignoreNotFound: true });
    return old.length;
  } catch {
    return 0;
  }
}

function hintFor(reason: string): string {
  if (reason === 'missing_code_repo_access')
    return 'Code Engine cannot read the repository: make it reachable or add a source secret.';
  if (reason === 'missing_registry_access' || reason === 'spec_output_secret_ref_not_found')
    return 'Check build.output_secret (a registry secret with push rights in the project).';
  if (reason === 'timeout') return 'Raise build.timeout (at most 3600 s) or a larger build.strategy_size.';
  return 'Look at the build run logs with `ibmcloud ce buildrun logs`.';
}
