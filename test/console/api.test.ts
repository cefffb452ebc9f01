// The console API on a served stack (real `up`, process backend, SQLite state): the OpenAPI
// document validates as OpenAPI 3.1 and lists exactly the routes the router serves; every route
// answers 401 without a token; every GET answers a body that matches its schema and holds no
// secret value; roles decide who may decide an approval, and the decision records the principal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROUTES } from '../../src/console/console.js';
import { openStateStore } from '../../src/state/sqlite.js';
import { requireBuild, runCliSync } from '../cli/up-support.js';
import { api, serveStack, type ServedStack } from './support.js';

requireBuild();
let s: ServedStack;
let doc: Record<string, unknown>;

test.before(async () => {
  s = await serveStack({ git: true });
});
test.after(async () => {
  await s?.stop();
});

/** A concrete path for a route template, with names that exist in the served stack. */
function concrete(path: string, ids: Record<string, string>): string {
  return path
    .replace('/profiles/{name}', '/profiles/restricted')
    .replace(/\{([^}]+)\}/g, (_, n: string) => encodeURIComponent(ids[n]));
}

test('the OpenAPI document is valid OpenAPI 3.1 and lists exactly the routes the router serves', async () => {
  const r = await api(s, '/api/v1/openapi.json', s.tokens.admin);
  assert.is(r.status, 200, r.text);
  doc = r.body as Record<string, unknown>;
  assert.is(doc.openapi, '3.1.0');
  const v = new Validator();
  const res = await v.validate(doc as never);
  assert.ok(res.valid, JSON.stringify(res.errors, null, 2)?.slice(0, 3000));
  assert.is(v.version, '3.1');
  const inDoc = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
    .sort();
  const inCode = ROUTES.map((x) => `${x.method} ${x.path}`).sort();
  assert.equal(inDoc, inCode);
  assert.ok(inCode.length >= 14, `routes: ${inCode.join(', ')}`);
});

test('every route answers 401 without a token, with the JSON error shape', async () => {
  for (const route of ROUTES) {
    const path = `/api/v1${concrete(route.path, { name: 'quickstart', slug: 'quickstart-example', id: 'x' })}`;
    const r = await api(s, path, undefined, { method: route.method });
    assert.is(r.status, 401, `${route.method} ${path}: ${r.text}`);
    const e = (r.body as { error: { code: string; message: string } }).error;
    assert.is(e.code, 'auth.required');
    assert.type(e.message, 'string');
    const bad = await api(s, path, 'not-a-token-of-this-gateway', { method: route.method });
    assert.is(bad.status, 401, `${route.method} ${path} with a wrong token`);
  }
});

test('every GET answers its schema and never a secret value', async () => {
  const store = openStateStore({ path: join(s.copy.dir, '.contextforge', 'state.db') });
  store.createApproval({
    id: 'apr-api-1',
    stack: 'quickstart',
    address: 'runtime.quickstart',
    specHash: 'h1',
    status: 'pending',
    reasons: ['source_type is command'],
    approvers: [['alice']],
    request: { backend: 'local' },
    requestedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3600_000).toISOString(),
  });
  store.close();
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ $id: 'doc', components: (doc.components as Record<string, unknown>) ?? {} });
  const ids = { name: 'quickstart', slug: 'quickstart-example', id: 'apr-api-1' };
  let checked = 0;
  for (const route of ROUTES) {
    if (route.method !== 'GET' || route.response === 'sse') continue;
    const path = `/api/v1${concrete(route.path, ids)}`;
    const r = await api(s, path, s.tokens.admin);
    assert.is(r.status, 200, `${path}: ${r.text.slice(0, 500)}`);
    assert.match(r.type, 'application/json');
    assert.not.ok(r.text.includes(s.secret), `${path} shows the secret value`);
    assert.not.ok(r.text.includes(s.tokens.admin) || r.text.includes(s.tokens.alice), `${path} shows a token`);
    const v = ajv.compile({ $ref: `doc#/components/schemas/${route.response}` });
    assert.ok(v(r.body), `${path} does not match ${route.response}: ${JSON.stringify(v.errors)?.slice(0, 800)}`);
    checked++;
  }
  assert.ok(checked >= 12, `checked ${checked} routes`);
  const list = (await api(s, '/api/v1/runtimes', s.tokens.admin)).body as {
    runtimes: { name: string; state: string; backendType: string }[];
  };
  assert.equal(
    list.runtimes.map((r) => [r.name, r.state, r.backendType]),
    [['quickstart', 'running', 'process']],
  );
  const logs = (await api(s, '/api/v1/runtimes/quickstart/logs?tail=50', s.tokens.admin)).body as { lines: string[] };
  assert.ok(Array.isArray(logs.lines));
});

test('unknown names are 404 with the error shape; bad parameters are 400', async () => {
  const r = await api(s, '/api/v1/runtimes/nope', s.tokens.admin);
  assert.is(r.status, 404);
  assert.is((r.body as { error: { code: string } }).error.code, 'runtime.not-found');
  const q = await api(s, '/api/v1/catalog?backend=kubernetes', s.tokens.admin);
  assert.is(q.status, 400);
  const none = await api(s, '/api/v1/nothing-here', s.tokens.admin);
  assert.is(none.status, 404);
  assert.is((none.body as { error: { code: string } }).error.code, 'request.no-route');
});

test('a viewer reads but may not decide; an approver named by the rule decides as itself', async () => {
  const who = await api(s, '/api/v1/whoami', s.tokens.victor);
  assert.equal((who.body as { roles: string[] }).roles, ['viewer']);
  const listed = await api(s, '/api/v1/approvals', s.tokens.victor);
  assert.is(listed.status, 200);
  assert.is((listed.body as { approvals: { canDecide: boolean }[] }).approvals[0].canDecide, false);
  const post = (token: string, body: unknown): Promise<{ status: number; body: unknown; text: string }> =>
    api(s, '/api/v1/approvals/apr-api-1/approve', token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const viewer = await post(s.tokens.victor, {});
  assert.is(viewer.status, 403, viewer.text);
  // The admin token is not named by the rule (approvers: alice): roles do not bypass the rules.
  const admin = await post(s.tokens.admin, {});
  assert.is(admin.status, 403, admin.text);
  assert.is((admin.body as { error: { code: string } }).error.code, 'approval.not-an-approver');
  const badBody = await post(s.tokens.alice, { by: 'mallory' });
  assert.is(badBody.status, 400, 'a self-declared name is not a field of the request');
  const ok = await post(s.tokens.alice, { reason: 'looks fine' });
  assert.is(ok.status, 200, ok.text);
  assert.is((ok.body as { status: string; decidedBy: string }).decidedBy, 'alice');
  const again = await post(s.tokens.alice, {});
  assert.is(again.status, 409);
  const events = (await api(s, '/api/v1/events', s.tokens.victor)).body as {
    events: { type: string; actor?: string; data?: Record<string, unknown> }[];
  };
  const e = events.events.find((x) => x.type === 'approval.approved');
  assert.ok(e, 'the decision is in the audit log');
  assert.is(e!.actor, 'alice');
  assert.is(e!.data?.principal, 'user:alice');
  assert.is(e!.data?.via, 'console');
});

test('a runtime shows its contextforge.lock entry once `contextforge lock` wrote one', async () => {
  const before = (await api(s, '/api/v1/runtimes/quickstart', s.tokens.admin)).body as { lock?: unknown };
  assert.is(before.lock, undefined, 'no lock file yet');
  const r = runCliSync(['lock'], {
    cwd: s.copy.dir,
    path: s.copy.path,
    env: { CF_TEST_API_KEY: s.secret, CF_TEST_ADMIN_TOKEN: s.tokens.admin },
  });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const after = (
    await api(s, '/api/v1/runtimes/quickstart', s.tokens.admin).catch((e: Error) => {
      throw new Error(`${e.message}: up printed\n${s.up.stdout()}\n${s.up.stderr()}`);
    })
  ).body as {
    lock?: { pinned: boolean; surface?: { tools?: { key: string; hash: string }[] } };
  };
  assert.is(after.lock?.pinned, true);
  assert.equal(after.lock?.surface?.tools?.map((t) => t.key).sort(), ['add', 'echo', 'time']);
});

test('deploy-snippet: valid YAML, diagnostics for a bad one, and (admin) a commit on a new branch', async () => {
  const post = (token: string, body: unknown) =>
    api(s, '/api/v1/catalog/quickstart-example/deploy-snippet', token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const bad = await post(s.tokens.victor, { name: 'second', backend: 'local', profile: 'no-such-profile' });
  assert.is(bad.status, 200, bad.text);
  const b = bad.body as { valid: boolean; diagnostics: { severity: string; summary: string }[] };
  assert.is(b.valid, false);
  assert.ok(
    b.diagnostics.some((d) => d.severity === 'error' && d.summary.includes('no-such-profile')),
    bad.text,
  );
  const file = join(s.copy.dir, 'contextforge.yaml');
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', s.copy.dir, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args], {
      encoding: 'utf8',
    });
  git('init', '-q', '-b', 'main');
  git('add', 'contextforge.yaml');
  git('commit', '-q', '-m', 'config');
  const denied = await post(s.tokens.alice, { name: 'second', backend: 'local', commit: true });
  assert.is(denied.status, 403, 'only an admin commits');
  const before = readFileSync(file, 'utf8');
  const ok = await post(s.tokens.admin, { name: 'second', backend: 'local', profile: 'local-dev', commit: true });
  assert.is(ok.status, 200, ok.text);
  const c = ok.body as { valid: boolean; branch: string; commit: string; yaml: string };
  assert.is(c.valid, true);
  assert.match(c.branch, /^contextforge\/add-second-/);
  assert.match(
    git('show', `${c.branch}:contextforge.yaml`),
    'catalog: quickstart-example\n    backend: local\n    guardrails_profile: local-dev',
  );
  assert.is(git('rev-parse', c.branch).trim(), c.commit);
  assert.is(readFileSync(file, 'utf8'), before, 'the served config is untouched');
  assert.is(git('rev-parse', '--abbrev-ref', 'HEAD').trim(), 'main', 'the work tree stays on its branch');
  assert.is(git('worktree', 'list').trim().split('\n').length, 1, 'the temporary worktree is gone');
});

test('/metrics gains per-runtime status gauges', async () => {
  const deadline = Date.now() + 60_000;
  let text = '';
  // A scrape serves the last snapshot and starts a refresh when it is stale: the next has it.
  while (Date.now() < deadline) {
    text = (await api(s, '/metrics', s.tokens.admin)).text;
    if (text.includes('contextforge_runtime_up{')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(text, 'contextforge_runtime_up{runtime="quickstart",backend="local"} 1');
  assert.match(text, 'contextforge_runtime_status{runtime="quickstart",backend="local",status="running"} 1');
  assert.match(text, 'contextforge_runtime_in_sync{runtime="quickstart",backend="local"} 1');
  assert.not.ok(text.includes(s.secret));
});

test('the event stream sends new audit events and log lines follow over SSE', async () => {
  const ac = new AbortController();
  const r = await fetch(`${s.base}/api/v1/events/stream`, {
    headers: { authorization: `Bearer ${s.tokens.victor}` },
    signal: ac.signal,
  });
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', 'text/event-stream');
  const reader = r.body!.getReader();
  let text = '';
  const until = async (re: RegExp): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const m = text.match(re);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no ${re} in the stream:\n${text}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${re}:\n${text}`);
      text += new TextDecoder().decode(value);
    }
  };
  await until(/: connected/);
  // The first status poll reports each runtime once.
  await until(/event: runtime\ndata: \{[^\n]*"name":"quickstart"/);
  const store = openStateStore({ path: join(s.copy.dir, '.contextforge', 'state.db') });
  store.appendEvent({ stack: 'quickstart', type: 'test.marker', data: { n: 1 } });
  store.close();
  const m = await until(/id: (\d+)\nevent: event\ndata: (\{[^\n]*"type":"test\.marker"[^\n]*\})/);
  assert.is(JSON.parse(m[2]).data.n, 1);
  ac.abort();
  const replay = await api(s, `/api/v1/events?since=${Number(m[1]) - 1}`, s.tokens.victor);
  assert.equal(
    (replay.body as { events: { type: string }[] }).events.map((e) => e.type),
    ['test.marker'],
  );
});

test.run();
