// A temporary working copy of one commit of a repository, for building: a shallow fetch of the
// commit when the server allows it, else a full clone and checkout. The caller must call
// cleanup() (in a finally); the directory lives under the OS temp dir with a cf-clone- prefix.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { GIT_UNSAFE, gitEnv, scrubGit, type GitCredentials } from './repo.js';

export interface Checkout {
  dir: string;
  commit: string;
  cleanup(): Promise<void>;
}

export interface CheckoutInput {
  url: string;
  commit: string;
  credentials?: GitCredentials;
  signal?: AbortSignal;
}

export class CheckoutError extends Error {}

export async function checkoutCommit(input: CheckoutInput): Promise<Checkout> {
  const dir = await mkdtemp(join(tmpdir(), 'cf-clone-'));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const env = gitEnv(input.credentials, process.env, input.url);
  const git = simpleGit({ baseDir: dir, abort: input.signal, unsafe: GIT_UNSAFE }).env(env);
  try {
    await git.init();
    await git.addRemote('origin', input.url);
    try {
      await git.fetch(['--depth', '1', 'origin', input.commit]);
      await git.checkout(['--detach', 'FETCH_HEAD']);
    } catch {
      // Servers that refuse fetching by SHA: fetch everything, then check out the commit.
      await git.fetch(['origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*']);
      await git.checkout(['--detach', input.commit]);
    }
    const head = (await git.revparse(['HEAD'])).trim();
    if (head !== input.commit) throw new CheckoutError(`checked out ${head} instead of ${input.commit}`);
    return { dir, commit: head, cleanup };
  } catch (err) {
    await cleanup();
    if (input.signal?.aborted) throw err;
    throw new CheckoutError(
      `Cloning ${scrubGit(input.url)} at ${input.commit.slice(0, 12)} failed: ${scrubGit(
        String((err as Error).message),
        input.credentials,
      )
        .split('\n')
        .filter((l) => l.trim())
        .slice(0, 3)
        .join(' ')}`,
    );
  }
}
