// Commits a proposed config on a new branch of the config's git repository, for the deploy
// dialog: through a temporary `git worktree` of HEAD, so the user's work tree, index and
// current branch are never touched; the worktree is removed afterwards. simple-git runs git.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { simpleGit } from 'simple-git';

export interface SnippetCommit {
  branch: string;
  commit: string;
}

/** undefined when the config is not in a git work tree (nothing is committed then). */
export async function commitOnBranch(input: {
  configPath: string;
  configDir: string;
  text: string;
  runtime: string;
  author: string;
}): Promise<SnippetCommit | undefined> {
  const git = simpleGit(input.configDir);
  let repo: boolean;
  try {
    repo = await git.checkIsRepo();
  } catch (e) {
    throw new Error(`git cannot run on this host: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!repo) return undefined;
  const top = (await git.revparse(['--show-toplevel'])).trim();
  const branch = `contextforge/add-${input.runtime}-${randomBytes(3).toString('hex')}`;
  const wt = mkdtempSync(join(tmpdir(), 'cf-snippet-'));
  try {
    await git.raw(['worktree', 'add', '-b', branch, wt, 'HEAD']);
    const file = join(wt, relative(top, input.configPath));
    writeFileSync(file, input.text);
    const w = simpleGit(wt);
    await w.add([file]);
    await w
      .env({ ...process.env, GIT_AUTHOR_NAME: input.author, GIT_AUTHOR_EMAIL: `${input.author}@contextforge.invalid` })
      .raw([
        '-c',
        `user.name=${input.author}`,
        '-c',
        `user.email=${input.author}@contextforge.invalid`,
        'commit',
        '-m',
        `Add runtime ${input.runtime} (proposed in the contextforge console by ${input.author})`,
      ]);
    const commit = (await w.revparse(['HEAD'])).trim();
    return { branch, commit };
  } finally {
    await git.raw(['worktree', 'remove', '--force', wt]).catch(() => undefined);
    rmSync(wt, { recursive: true, force: true });
  }
}
