// Downstream authentication: static bearer tokens and HS256 JWTs, verified with node:crypto.
// Comparisons are timing-safe; nothing here logs or echoes a presented credential.
// It decides allow/deny and names the principal (for per-principal session caps); the HTTP
// layer writes the 401.
import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import type { AuthVerdict, GatewayAuth } from './types.js';

/**
 * `principal` identifies who is calling without revealing a credential: `token:<n>` for the n-th
 * static token, `user:<name>` for a named user's token, `jwt:<sub>` for a JWT (`jwt:#<hash
 * prefix>` without `sub`), `anonymous` without auth.
 */
export type AuthResult = AuthVerdict;

/** Clock skew tolerated on exp and nbf. */
const LEEWAY_S = 30;

export interface Authenticator {
  readonly mode: 'none' | 'token';
  check(authorization: string | undefined): AuthResult;
}

/** Problems with an auth configuration; empty when it is usable. */
export function authDiagnostics(auth: GatewayAuth | undefined): Diagnostic[] {
  if (!auth) {
    return [
      error('gateway.auth-missing', 'Gateway auth is not set', {
        detail: 'Choose token auth, or auth none explicitly.',
      }),
    ];
  }
  if (auth.mode === 'none') return [];
  const tokens = [...(auth.tokens ?? []), ...(auth.users ?? []).flatMap((u) => u.tokens)].filter((t) => t.length > 0);
  if (tokens.length === 0 && !auth.jwtSecret) {
    return [
      error('gateway.auth-no-credentials', 'Gateway auth is on but no bearer token or JWT secret is configured', {
        detail: 'Set gateway.auth tokens or a JWT secret, or choose auth none explicitly.',
      }),
    ];
  }
  return [];
}

export function createAuthenticator(auth: GatewayAuth): Authenticator {
  if (auth.mode === 'none') return { mode: 'none', check: () => ({ ok: true, principal: 'anonymous' }) };
  // Hashing first gives equal-length buffers, so timingSafeEqual never leaks the token length.
  const digests = (auth.tokens ?? []).filter((t) => t.length > 0).map(sha256);
  const named = (auth.users ?? []).flatMap((u) =>
    u.tokens.filter((t) => t.length > 0).map((t) => ({ name: u.name, d: sha256(t) })),
  );
  const secret = auth.jwtSecret;
  return {
    mode: 'token',
    check(header) {
      if (!header) return { ok: false, reason: 'Missing bearer token.', invalidToken: false };
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) return { ok: false, reason: 'Authorization header is not a bearer token.', invalidToken: true };
      const presented = m[1];
      const d = sha256(presented);
      // Every digest is compared, so the time taken does not tell which token matched.
      let match = -1;
      digests.forEach((t, i) => {
        if (timingSafeEqual(d, t) && match < 0) match = i;
      });
      if (match >= 0) return { ok: true, principal: `token:${match}` };
      let user: string | undefined;
      for (const n of named) if (timingSafeEqual(d, n.d) && user === undefined) user = n.name;
      if (user !== undefined) return { ok: true, principal: `user:${user}` };
      if (secret && presented.split('.').length === 3)
        return verifyHs256(presented, secret, { allowNoExp: auth.allowNoExp });
      return { ok: false, reason: 'Invalid bearer token.', invalidToken: true };
    },
  };
}

/**
 * crypto.hash (node >= 20.12; this package needs 20.18) digests in one call, without the Hash
 * object createHash makes: it runs on every request, and is a measurable part of one. The
 * installed @types/node predates it, hence the cast; createHash is the fallback all the same.
 */
const oneShot = (nodeCrypto as unknown as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;

function sha256(s: string): Buffer {
  return oneShot ? oneShot('sha256', s, 'buffer') : createHash('sha256').update(s).digest();
}

export interface VerifyOptions {
  /** Seconds since the epoch; default now. */
  nowS?: number;
  /** Accept a JWT without `exp` (it would never expire); default false. */
  allowNoExp?: boolean;
}

/** Verifies an HS256 JWT: header alg, signature, then exp (required unless allowNoExp) and nbf. */
export function verifyHs256(jwt: string, secret: string, opts: VerifyOptions = {}): AuthResult {
  const nowS = opts.nowS ?? Date.now() / 1000;
  const [h, p, s] = jwt.split('.');
  const fail = (reason: string): AuthResult => ({ ok: false, reason, invalidToken: true });
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return fail('Malformed JWT.');
  }
  if (!isRecord(header) || header.alg !== 'HS256') return fail('JWT algorithm must be HS256.');
  const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return fail('JWT signature is invalid.');
  if (!isRecord(payload)) return fail('Malformed JWT payload.');
  if (payload.exp === undefined && !opts.allowNoExp) {
    return fail('JWT has no exp claim; tokens must expire (or set gateway.auth.allow_no_exp).');
  }
  if (payload.exp !== undefined && (typeof payload.exp !== 'number' || payload.exp + LEEWAY_S < nowS)) {
    return fail('JWT has expired.');
  }
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf - LEEWAY_S > nowS)) {
    return fail('JWT is not valid yet.');
  }
  const subject = typeof payload.sub === 'string' ? payload.sub : undefined;
  const principal =
    subject !== undefined ? `jwt:${subject}` : `jwt:#${createHash('sha256').update(s).digest('hex').slice(0, 12)}`;
  // Only string members count: a claim is data from whoever minted the token, bounded here.
  const groups = Array.isArray(payload.groups)
    ? payload.groups.filter((g): g is string => typeof g === 'string' && g.length <= 256).slice(0, 100)
    : undefined;
  return { ok: true, subject, principal, ...(groups ? { groups } : {}) };
}

/** Signs an HS256 JWT; used by tests and by operators minting a token for a client. */
export function signHs256(payload: Record<string, unknown>, secret: string): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(payload)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
