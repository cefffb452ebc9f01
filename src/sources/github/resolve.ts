// Plan-time resolution of a github source's ref (branch, tag, short or full commit, HEAD) to the
// full commit SHA, with one `git ls-remote` through simple-git. Read-only: never clones. Failures
// come back as diagnostics with credentials scrubbed.

import { simpleGit } from 'simple-git';
import { error, type Result } from '../../diag/diagnostic.js';
import { GIT_UNSAFE, gitEnv, scrubGit, type GitCredentials } from './repo.js';

const FULL_SHA = /^[0-9a-f]{40}$/;

export interface ResolveInput {
  url: string;
  /** Branch, tag, commit (7-40 hex) or HEAD. */
  ref: string;
  credentials?: GitCredentials;
  /** Resource address, for the diagnostic. */
  address?: string;
  signal?: AbortSignal;
}

/** Parses `git ls-remote` output into ref name → SHA. */
export function parseLsRemote(out: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/);
    if (sha && name && FULL_SHA.test(sha)) refs.set(name, sha);
  }
  return refs;
}

/** The commit SHA `ref` names among advertised refs; a peeled tag wins over the tag object. */
export function pickRef(refs: ReadonlyMap<string, string>, ref: string): string | undefined {
  if (FULL_SHA.test(ref)) return ref;
  const candidates = ref === 'HEAD' ? ['HEAD'] : [`refs/heads/${ref}`, `refs/tags/${ref}^{}`, `refs/tags/${ref}`, ref];
  for (const c of candidates) {
    const sha = refs.get(c);
    if (sha) return sha;
  }
  if (/^[0-9a-f]{7,39}$/.test(ref)) {
    const hits = [...new Set([...refs.values()].filter((s) => s.startsWith(ref)))];
    if (hits.length === 1) return hits[0];
  }
  return undefined;
}

export async function resolveRef(input: ResolveInput): Promise<Result<string>> {
  if (FULL_SHA.test(input.ref)) return { value: input.ref, diags: [] };
  const creds = input.credentials ?? {};
  let out: string;
  try {
    out = await simpleGit({ abort: input.signal, unsafe: GIT_UNSAFE })
      .env(gitEnv(creds, process.env, input.url))
      .listRemote([input.url]);
  } catch (err) {
    const first =
      scrubGit(String((err as Error).message), creds)
        .split('\n')
        .find((l) => l.trim()) ?? 'unknown error';
    return {
      diags: [
        error('github.unreachable', `The repository of ${input.address ?? input.url} cannot be read`, {
          address: input.address,
          detail: `git ls-remote ${scrubGit(input.url)} failed: ${first}. Check repo, github.base_url and the credentials (github.token or github.ssh_key_file).`,
        }),
      ],
    };
  }
  const sha = pickRef(parseLsRemote(out), input.ref);
  if (sha) return { value: sha, diags: [] };
  return {
    diags: [
      error('github.ref-unknown', `${input.ref} is not a branch, tag or commit of ${scrubGit(input.url)}`, {
        address: input.address,
        detail: 'Fix branch/tag/commit of the catalog entry; a commit must be given in full or be a branch/tag tip.',
      }),
    ],
  };
}
