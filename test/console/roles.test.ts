// Principals to roles: a named user's token, a JWT matched by sub or by a group (signed and
// verified with the gateway's own HS256 code), an unmatched JWT (viewer), a plain gateway token
// (admin, host trust); and which identities approval rules are matched against.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signHs256, verifyHs256 } from '../../src/gateway/index.js';
import { hasRole, identify } from '../../src/console/roles.js';
import type { GatewayUser } from '../../src/generated/config.js';

const SECRET = 'roles-test-secret-0123456789';
const users: GatewayUser[] = [
  { name: 'alice', token_file: 'alice.token', roles: ['approver'] },
  { name: 'sec', jwt: { groups: ['security-team'] }, roles: ['approver'] },
  { name: 'bob', jwt: { sub: 'bob@example.com' }, roles: ['viewer'] },
];
const jwt = (claims: Record<string, unknown>) => {
  const v = verifyHs256(signHs256({ exp: Math.floor(Date.now() / 1000) + 600, ...claims }, SECRET), SECRET);
  if (!v.ok) throw new Error(v.reason);
  return v;
};

test('a named user token carries that user’s roles', () => {
  const id = identify({ ok: true, principal: 'user:alice' }, users);
  assert.equal([id.name, id.roles, id.identities], ['alice', ['approver'], ['alice']]);
  assert.ok(hasRole(id, 'viewer') && hasRole(id, 'approver') && !hasRole(id, 'admin'));
});

test('a JWT is matched by sub or by group; its sub and groups are identities for the rules', () => {
  const byGroup = identify(jwt({ sub: 'carol@example.com', groups: ['security-team', 'ops'] }), users);
  assert.equal(byGroup.roles, ['approver']);
  assert.is(byGroup.name, 'sec');
  assert.equal(byGroup.identities, ['sec', 'carol@example.com', 'security-team', 'ops']);
  const bySub = identify(jwt({ sub: 'bob@example.com' }), users);
  assert.equal([bySub.name, bySub.roles], ['bob', ['viewer']]);
  assert.not.ok(hasRole(bySub, 'approver'));
});

test('a JWT no user matches is a viewer; a plain gateway token is admin', () => {
  const stranger = identify(jwt({ sub: 'mallory@example.com', groups: ['admins'] }), users);
  assert.equal(stranger.roles, ['viewer']);
  const operator = identify({ ok: true, principal: 'token:0' }, users);
  assert.equal(operator.roles, ['admin']);
  assert.ok(hasRole(operator, 'approver'));
});

test.run();
