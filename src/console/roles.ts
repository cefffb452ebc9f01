// Who a console request comes from and what it may do: maps the gateway's auth verdict (a named
// user's token, a JWT's sub and groups, a plain gateway token) to a name, roles and the
// identities approval rules are matched against. Decides only; the router writes the 403.

import type { GatewayUser } from '../generated/config.js';
import type { AuthVerdict } from '../gateway/index.js';

export type Role = 'viewer' | 'approver' | 'admin';

export interface Identity {
  principal: string;
  /** Shown in the UI and recorded in the audit log. */
  name: string;
  roles: Role[];
  /** Names approval rules may list: the user, the JWT subject and its groups. */
  identities: string[];
}

const RANK: Record<Role, number> = { viewer: 0, approver: 1, admin: 2 };

/**
 * Tokens of gateway.auth.tokens and the default token file, and every caller under `auth: none`,
 * act as admin: they are the operator's own credentials (host trust, as `approvals approve --by`
 * on the host). A JWT that matches no configured user is a viewer.
 */
export function identify(verdict: Extract<AuthVerdict, { ok: true }>, users: readonly GatewayUser[] = []): Identity {
  const p = verdict.principal;
  if (p.startsWith('user:')) {
    const name = p.slice(5);
    const u = users.find((x) => x.name === name);
    return { principal: p, name, roles: [...(u?.roles ?? ['viewer'])], identities: [name] };
  }
  if (p.startsWith('jwt:')) {
    const groups = verdict.groups ?? [];
    const matched = users.filter(
      (u) =>
        u.jwt &&
        ((u.jwt.sub !== undefined && u.jwt.sub === verdict.subject) ||
          (u.jwt.groups ?? []).some((g) => groups.includes(g))),
    );
    const roles = [...new Set(matched.flatMap((u) => u.roles))];
    const name = matched[0]?.name ?? verdict.subject ?? p;
    const identities = [
      ...new Set([...matched.map((u) => u.name), ...(verdict.subject ? [verdict.subject] : []), ...groups]),
    ];
    return { principal: p, name, roles: roles.length ? roles : ['viewer'], identities };
  }
  return { principal: p, name: p, roles: ['admin'], identities: [p] };
}

/** True when one of the identity's roles is `role` or above it. */
export function hasRole(id: Identity, role: Role): boolean {
  return id.roles.some((r) => RANK[r] >= RANK[role]);
}
