// Git sync for `watch --git`: keeps one clone per repository URL under
// .contextforge/git/<hash-of-url>, fetches the branch, and moves the work tree to a given commit.
// It runs git through simple-git and decides nothing: which commit to apply is the watcher's call.
// Credentials in a URL never reach a log line (displayUrl strips them).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';

export interface CommitInfo {
  sha: string;
  author: string;
  subject: string;
  date: string;
}

export interface GitSyncOptions {
  url: string;
  branch: string;
  /** Directory under which `.contextforge/git/<hash>` is created. */
  baseDir: string;
}

export interface GitSync {
  /** The clone's work tree. */
  readonly dir: string;
  /** Fetches the branch and returns its head commit. */
  fetchHead(): Promise<CommitInfo>;
  /** Moves the work tree (and the local branch) to sha, discarding tracked edits. */
  checkout(sha: string): Promise<void>;
}

/** The URL without user info or query, for log lines. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]+@/, '//');
  }
}

/** A git error message with any credentials in URLs removed. */
export function scrubGitMessage(message: string, url: string): string {
  return message
    .split(url)
    .join(displayUrl(url))
    .replace(/(\w+:\/\/)[^/@\s]+@/g, '$1');
}

export function cloneDir(baseDir: string, url: string): string {
  return join(baseDir, '.contextforge', 'git', createHash('sha256').update(url).digest('hex').slice(0, 16));
}

async function describe(git: SimpleGit, ref: string): Promise<CommitInfo> {
  const raw = await git.raw(['log', '-1', '--format=%H%x00%an <%ae>%x00%s%x00%cI', ref]);
  const [sha, author, subject, date] = raw.trim().split('\0');
  return { sha, author, subject, date };
}

/** Clones the repository if needed (or reuses the existing clone) and returns the sync handle. */
export async function openGitSync(options: GitSyncOptions): Promise<GitSync> {
  const dir = cloneDir(options.baseDir, options.url);
  const remoteRef = `refs/remotes/origin/${options.branch}`;
  if (!existsSync(join(dir, '.git'))) {
    mkdirSync(dir, { recursive: true });
    await simpleGit().clone(options.url, dir, ['--branch', options.branch, '--single-branch']);
  }
  const git = simpleGit(dir);
  // A reused clone may point at an older URL spelling; the hash pins the repository, not the remote.
  await git.remote(['set-url', 'origin', options.url]);
  return {
    dir,
    async fetchHead(): Promise<CommitInfo> {
      await git.fetch(['origin', `+refs/heads/${options.branch}:${remoteRef}`]);
      return describe(git, remoteRef);
    },
    async checkout(sha: string): Promise<void> {
      await git.raw(['reset', '--hard', sha]);
    },
  };
}
