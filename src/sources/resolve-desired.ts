// The plan's source-resolution phase: every github source of a backend that builds is pinned to
// the commit its ref names right now (one `git ls-remote` per distinct repo and ref), and every
// file a runtime depends on (compose file named by path, seccomp profile) is read; the spec hash
// is recomputed so that it moves exactly when the commit or a file's content moves. Touches git
// and files only; never mutates its input.

import { resolve } from 'node:path';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { composeTextOf } from '../config/index.js';
import type { GithubSettings } from '../generated/config.js';
import { hashOf } from '../model/canonical.js';
import type { DesiredResource } from '../model/resources.js';
import { repoUrl, type GitCredentials } from './github/repo.js';
import { resolveRef } from './github/resolve.js';
import { composeBuildDigests } from './build-context.js';
import { isSeccompFile, readSeccompProfile } from './seccomp.js';

export interface ResolveSourcesInput {
  desired: readonly DesiredResource[];
  github?: GithubSettings;
  configDir: string;
  /** Resolve only resources for which this returns true (backends that build github sources). */
  include?: (d: DesiredResource) => boolean;
  /** Hash seccomp profile files only for resources for which this returns true (backends that enforce seccomp); default all. */
  seccomp?: (d: DesiredResource) => boolean;
  signal?: AbortSignal;
}

/** Credentials of the config's `github:` settings, with the key path made absolute. */
export function githubCredentials(github: GithubSettings | undefined, configDir: string): GitCredentials {
  return {
    token: github?.token || undefined,
    sshKeyFile: github?.ssh_key_file ? resolve(configDir, github.ssh_key_file) : undefined,
  };
}

export async function resolveSources(
  input: ResolveSourcesInput,
): Promise<{ desired: DesiredResource[]; diags: Diagnostic[] }> {
  const credentials = githubCredentials(input.github, input.configDir);
  const pending = new Map<string, Promise<{ value?: string; diags: Diagnostic[] }>>();
  const diags: Diagnostic[] = [];
  const out = await Promise.all(
    input.desired.map(async (given) => {
      const d = await withSeccompDigest(given, input, diags);
      const s = d.spec.source;
      if (s.type === 'compose' && s.buildDigests === undefined) {
        // The file's text becomes part of the spec, so its hash moves when the file changes; so
        // do the contents of the build contexts its services build from.
        try {
          const text = s.inline ? s.composeFile : (s.content ?? composeTextOf(s).text);
          const digests = await composeBuildDigests(s, text);
          const source = {
            ...s,
            ...(s.inline ? {} : { content: text }),
            ...(Object.keys(digests).length ? { buildDigests: digests } : {}),
          };
          if (s.inline && !source.buildDigests) return d;
          const spec = { ...d.spec, source };
          return { ...d, spec, specHash: hashOf(spec) };
        } catch (err) {
          diags.push(
            error(
              'compose.file-unreadable',
              `The compose file of ${d.address} or a build context it names cannot be read`,
              {
                address: d.address,
                range: d.range,
                detail: `${(err as Error).message}. Fix compose_file, or the build context of its services.`,
              },
            ),
          );
          return d;
        }
      }
      if (s.type !== 'github' || (input.include && !input.include(d))) return d;
      const url = repoUrl({ repo: s.repo, baseUrl: input.github?.base_url, configDir: input.configDir });
      const ref = s.commit ?? s.ref;
      const key = `${url}#${ref}`;
      let p = pending.get(key);
      if (!p) pending.set(key, (p = resolveRef({ url, ref, credentials, address: d.address, signal: input.signal })));
      const r = await p;
      if (!r.value) {
        diags.push(...r.diags.map((x) => ({ ...x, address: d.address, range: x.range ?? d.range })));
        return d;
      }
      const spec = { ...d.spec, source: { ...s, commit: r.value } };
      return { ...d, spec, specHash: hashOf(spec) };
    }),
  );
  return { desired: out, diags };
}

/** The resource with the digest of its seccomp profile file in the spec (and the hash moved). */
async function withSeccompDigest(
  d: DesiredResource,
  input: ResolveSourcesInput,
  diags: Diagnostic[],
): Promise<DesiredResource> {
  const path = d.spec.guardrails.seccomp;
  if (!isSeccompFile(path) || (input.seccomp && !input.seccomp(d))) return d;
  try {
    const { digest } = await readSeccompProfile(path, input.configDir);
    const spec = { ...d.spec, guardrails: { ...d.spec.guardrails, seccompDigest: digest } };
    return { ...d, spec, specHash: hashOf(spec) };
  } catch (err) {
    diags.push(
      error('guardrail.seccomp-unreadable', `The seccomp profile ${path} of ${d.address} cannot be read as JSON`, {
        address: d.address,
        range: d.range,
        detail: `${(err as Error).message}. Fix the path or the file.`,
      }),
    );
    return d;
  }
}
