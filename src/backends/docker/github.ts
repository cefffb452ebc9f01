// The Docker backend's side of github sources: the `build` step shown in plans, building the
// image of a resolved commit when the engine does not have it yet (build.ts does the work), and
// reading stored build logs for `logs --build`. Pure helpers plus one image inspect per apply.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import type { Diagnostic } from '../../diag/diagnostic.js';
import type { GithubSettings } from '../../generated/config.js';
import { hashOf } from '../../model/canonical.js';
import type { Change, DesiredResource } from '../../model/resources.js';
import { repoUrl } from '../../sources/github/repo.js';
import { githubCredentials } from '../../sources/resolve-desired.js';
import type { ApplyContext } from '../backend.js';
import { BUILD_LABEL, buildFromGit, buildLogPath, type GithubSource } from './build.js';
import { isNotFound } from './errors.js';
import { LABEL, MANAGED_BY, managedSpec } from './labels.js';

const DEFAULT_BUILD_TIMEOUT_S = 600;

/** Adds the `build` step to a create/replace of a github runtime whose image is new. */
export function withBuildStep(c: Change): Change {
  const src = c.desired?.spec.source;
  if (!c.desired || src?.type !== 'github' || !src.commit) return c;
  const imageMoves =
    c.action === 'create' ||
    (c.action === 'replace' && c.fields.some((f) => f.path === 'image' || f.path.startsWith('build.')));
  if (!imageMoves) return c;
  return { ...c, steps: [...(c.steps ?? []), 'build'] };
}

export interface EnsureBuiltInput {
  docker: Dockerode;
  desired: DesiredResource;
  stack: string;
  backend: string;
  configDir: string;
  github?: GithubSettings;
  ctx: ApplyContext;
  secrets: readonly string[];
}

function registryAuth(
  registry: string | undefined,
): { username: string; password: string; serveraddress: string } | undefined {
  const username = process.env.CONTEXTFORGE_REGISTRY_USERNAME;
  const password = process.env.CONTEXTFORGE_REGISTRY_PASSWORD;
  if (!registry || !username || !password) return undefined;
  return { username, password, serveraddress: registry.split('/')[0] };
}

/** Builds the image of a github runtime unless the engine has it from the same inputs. */
export async function ensureBuilt(input: EnsureBuiltInput): Promise<Diagnostic[]> {
  const d = input.desired;
  const src = d.spec.source;
  const spec = managedSpec(d);
  if (src.type !== 'github' || !spec?.build) return [];
  const buildHash = hashOf(spec.build);
  try {
    const info = await input.docker.getImage(spec.image).inspect();
    if (info.Config?.Labels?.[BUILD_LABEL.buildHash] === buildHash) {
      input.ctx.progress(`image ${spec.image} is already built from ${src.commit!.slice(0, 12)}`);
      return [];
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const credentials = githubCredentials(input.github, input.configDir);
  const r = await buildFromGit({
    docker: input.docker,
    url: repoUrl({ repo: src.repo, baseUrl: input.github?.base_url, configDir: input.configDir }),
    source: src as GithubSource & { commit: string },
    image: spec.image,
    labels: {
      [LABEL.managedBy]: MANAGED_BY,
      [BUILD_LABEL.repo]: src.repo,
      [BUILD_LABEL.ref]: src.ref,
      [BUILD_LABEL.commit]: src.commit!,
      [BUILD_LABEL.buildHash]: buildHash,
    },
    credentials,
    registryAuth: spec.build.push ? registryAuth(src.registry) : undefined,
    logFile: buildLogPath(input.configDir, input.stack, d.runtime, src.commit!),
    timeoutMs: (src.buildTimeoutSeconds ?? DEFAULT_BUILD_TIMEOUT_S) * 1000,
    signal: input.ctx.signal,
    progress: input.ctx.progress,
    secrets: input.secrets,
    address: d.address,
  });
  return r.ok ? [] : r.diags;
}

/** Lines of the newest stored build log of a runtime (failed builds included). */
export async function* buildLog(input: {
  configDir: string;
  stack: string;
  runtime: string;
  tail?: number;
}): AsyncIterable<string> {
  const dir = join(input.configDir, '.contextforge', 'builds', input.stack, input.runtime);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.log'));
  if (names.length === 0) {
    yield `(no build log for ${input.runtime}: it has not been built by this host)`;
    return;
  }
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n))).mtimeMs })));
  dated.sort((a, b) => b.t - a.t);
  const lines = (await readFile(join(dir, dated[0].n), 'utf8'))
    .split('\n')
    .filter((l, i, all) => l !== '' || i < all.length - 1);
  yield* input.tail !== undefined ? lines.slice(-input.tail) : lines;
}
