// Resolves gateway.auth of the config into the gateway's auth option. Default (nothing set):
// one bearer token from CONTEXTFORGE_GATEWAY_TOKEN, else generated once into
// .contextforge/gateway.token (mode 0600). Only the token file's path is ever printed.

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { LoadedConfig } from '../config/index.js';
import { error, type Diagnostic, type Result } from '../diag/diagnostic.js';
import type { GatewayAuth, NamedTokens } from '../gateway/index.js';

export const TOKEN_ENV = 'CONTEXTFORGE_GATEWAY_TOKEN';

export interface ResolvedAuth {
  auth: GatewayAuth;
  /** Where the default token lives (printed as a path, never the token), when it is used. */
  tokenFile?: string;
  /** Where the token came from, for the startup line. */
  source: 'none' | 'config' | 'env' | 'file' | 'generated';
}

export function tokenFilePath(configDir: string): string {
  return join(configDir, '.contextforge', 'gateway.token');
}

function readLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** The default token: env, else the token file, else a new one written to the file. */
export function defaultToken(
  configDir: string,
  env: NodeJS.ProcessEnv = process.env,
): { token: string; source: 'env' | 'file' | 'generated'; file?: string } {
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv) return { token: fromEnv, source: 'env' };
  const file = tokenFilePath(configDir);
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (t) return { token: t, source: 'file', file };
  }
  mkdirSync(join(configDir, '.contextforge'), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, source: 'generated', file };
}

export function resolveGatewayAuth(
  config: Pick<LoadedConfig, 'dir' | 'gateway'>,
  env: NodeJS.ProcessEnv = process.env,
): Result<ResolvedAuth> {
  const a = config.gateway.auth;
  if (a === 'none') return { value: { auth: { mode: 'none' }, source: 'none' }, diags: [] };
  const diags: Diagnostic[] = [];
  const tokens = [...(a?.tokens ?? [])].map((t) => t.trim()).filter(Boolean);
  const read = (path: string, what: string): string[] => {
    const p = isAbsolute(path) ? path : resolve(config.dir, path);
    try {
      return readLines(p);
    } catch (err) {
      diags.push(
        error('gateway.auth-file', `gateway.auth.${what} ${path} cannot be read`, {
          detail: `Create the file or fix the path (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
        }),
      );
      return [];
    }
  };
  if (a?.tokens_file) tokens.push(...read(a.tokens_file, 'tokens_file'));
  // Named users: their tokens identify them (principal user:<name>); JWT-only users need no file.
  const users: NamedTokens[] = [];
  for (const u of a?.users ?? []) {
    if (!u.token_file && !u.jwt) {
      diags.push(
        error('gateway.auth-user', `gateway.auth.users entry ${u.name} has neither token_file nor jwt`, {
          detail: 'Give the user a token_file, or the JWT claims (sub or groups) that identify it.',
        }),
      );
      continue;
    }
    if (u.token_file) users.push({ name: u.name, tokens: read(u.token_file, `users[${u.name}].token_file`) });
  }
  const names = (a?.users ?? []).map((u) => u.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined)
    diags.push(
      error('gateway.auth-user', `gateway.auth.users names ${dup} twice`, {
        detail: 'Each user needs a name of its own; approval rules and the audit log refer to it.',
      }),
    );
  let jwtSecret = a?.jwt_secret;
  if (!jwtSecret && a?.jwt_secret_file) jwtSecret = read(a.jwt_secret_file, 'jwt_secret_file')[0];
  if (diags.length) return { diags };
  if (a?.users?.some((u) => u.jwt) && !jwtSecret)
    return {
      diags: [
        error('gateway.auth-user', 'gateway.auth.users identify a user by JWT claims but no JWT secret is set', {
          detail: 'Set gateway.auth.jwt_secret (or jwt_secret_file), or give those users a token_file.',
        }),
      ],
    };
  if (tokens.length || jwtSecret || users.length) {
    const allowNoExp = a?.allow_no_exp === true ? { allowNoExp: true } : {};
    return {
      value: {
        auth: {
          mode: 'token',
          ...(tokens.length ? { tokens } : {}),
          ...(users.length ? { users } : {}),
          ...(jwtSecret ? { jwtSecret, ...allowNoExp } : {}),
        },
        source: 'config',
      },
      diags,
    };
  }
  const d = defaultToken(config.dir, env);
  return { value: { auth: { mode: 'token', tokens: [d.token] }, source: d.source, tokenFile: d.file }, diags };
}
