// Where a github source's repository lives and how git reaches it: the clone URL (owner/name on
// `github.base_url`, a full URL, or a local path) and the environment that carries credentials
// (an HTTPS token as an http.extraHeader through GIT_CONFIG_* env, an SSH key through
// GIT_SSH_COMMAND). Credentials live only in that environment: never in argv, URLs or messages.

import { decideEndpoint } from '../../config/endpoint-policy.js';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface GitCredentials {
  /** HTTPS token (GitHub PAT or app token). Sensitive. */
  token?: string;
  /** Path of a private key for SSH URLs. */
  sshKeyFile?: string;
}

export interface RepoLocation {
  /** `repo:` as written in the catalog entry. */
  repo: string;
  /** `github.base_url`; default https://github.com. */
  baseUrl?: string;
  /** Directory relative paths resolve against (the config's). */
  configDir: string;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A full URL as is, a path as file://, owner/name under the base URL (which may be a path). */
export function repoUrl(loc: RepoLocation): string {
  const { repo } = loc;
  if (SCHEME.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo)) return repo;
  if (isAbsolute(repo) || repo.startsWith('./') || repo.startsWith('../'))
    return pathToFileURL(resolve(loc.configDir, repo)).href;
  const base = loc.baseUrl ?? 'https://github.com';
  if (SCHEME.test(base)) return `${base.replace(/\/+$/, '')}/${repo}`;
  return pathToFileURL(resolve(loc.configDir, base, repo)).href;
}

/** Whether git talks to `url` over SSH (scp-like `git@host:` or ssh://). */
export function isSshUrl(url: string): boolean {
  return /^ssh:\/\//i.test(url) || /^[\w.-]+@[\w.-]+:/.test(url);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Environment for git child processes. The token goes into an Authorization header configured
 * through GIT_CONFIG_COUNT/KEY/VALUE (git ≥ 2.31), so it is neither in the URL (which git would
 * echo in errors) nor in the process arguments (visible in `ps`). The token is added only when
 * `url` (the remote git will talk to) is a host the operator's endpoint policy allows: a catalog
 * entry or github.base_url written in a pull request must not collect it.
 */
export function gitEnv(
  creds: GitCredentials = {},
  base: NodeJS.ProcessEnv = process.env,
  url?: string,
): Record<string, string> {
  // Only what git needs from our environment: a user's GIT_* or PAGER settings stay out, both
  // for reproducible builds and because simple-git refuses unexpected ones.
  const env: Record<string, string> = {};
  for (const k of [
    'PATH',
    'HOME',
    'TMPDIR',
    'LANG',
    'SSH_AUTH_SOCK',
    'HTTPS_PROXY',
    'HTTP_PROXY',
    'NO_PROXY',
    'https_proxy',
    'http_proxy',
    'no_proxy',
  ]) {
    const v = base[k];
    if (v !== undefined) env[k] = v;
  }
  // Never wait for a password prompt: a missing credential must fail fast.
  env.GIT_TERMINAL_PROMPT = '0';
  if (creds.token && url !== undefined && decideEndpoint('github.base_url', url).allowed) {
    const basic = Buffer.from(`x-access-token:${creds.token}`).toString('base64');
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  if (creds.sshKeyFile) {
    env.GIT_SSH_COMMAND = `ssh -i ${shellQuote(creds.sshKeyFile)} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new`;
  } else {
    env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
  }
  return env;
}

/** Strings a git error must never show: the token, and its base64 header form. */
export function credentialSecrets(creds: GitCredentials = {}): string[] {
  if (!creds.token) return [];
  return [creds.token, Buffer.from(`x-access-token:${creds.token}`).toString('base64')];
}

/** Removes credentials (and any user:pass@ part of a URL) from a git message. */
export function scrubGit(text: string, creds: GitCredentials = {}): string {
  let out = text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1');
  for (const s of credentialSecrets(creds)) if (s) out = out.split(s).join('(sensitive)');
  return out;
}

/** simple-git options that permit exactly the env settings gitEnv() uses (and nothing else). */
export const GIT_UNSAFE = { allowUnsafeSshCommand: true, allowUnsafeConfigEnvCount: true } as const;
