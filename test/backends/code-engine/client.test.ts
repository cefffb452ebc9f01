// The production Code Engine client against the local emulator over real HTTP on 127.0.0.1:
// IAM token caching, pagination, ETag/If-Match with the 412 re-read helper, 409 adoption,
// 400 diagnostics quoting the error body, IAM failures, and secrets never leaking into errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeEngineApiError, CodeEngineClient, type ProjectClient } from '../../../src/backends/code-engine/client.js';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../../src/emulators/code-engine/index.js';

const API_KEY = `key-${Math.random().toString(36).slice(2)}-valid`;
let emu: CodeEngineEmulator;
let client: CodeEngineClient;
let project: ProjectClient;
const calls: Array<{ method: string; path: string; status: number }> = [];

test.before(async () => {
  // The client's wire contract against the original emulator; realistic-mode behaviours are
  // covered by client-realistic.test.ts.
  emu = await startCodeEngineEmulator({
    behaviour: 'strict-client',
    apiKeys: [API_KEY],
    timing: { appReadyDelayMs: 50, buildRunPendingMs: 30, buildRunDurationMs: 60 },
    log: () => undefined,
  });
  client = new CodeEngineClient({
    apiKey: API_KEY,
    region: 'us-south',
    serviceUrl: emu.url,
    iamUrl: emu.iamUrl,
    retryBaseMs: 5,
    onRequest: (method, path, status) => calls.push({ method, path, status }),
  });
  project = client.project(emu.projects[0].id);
});

test.after(async () => {
  await client.close();
  await emu.close();
});

const app = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image_reference: 'icr.io/codeengine/helloworld',
  scale_cpu_limit: '0.25',
  scale_memory_limit: '1G',
  ...extra,
});

test('many API calls share one IAM token fetch', async () => {
  emu.resetStats();
  const before = calls.length;
  for (let i = 0; i < 12; i++) await client.listProjects();
  await Promise.all(Array.from({ length: 8 }, () => project.apps.list()));
  assert.is(emu.stats.tokenRequests, 1, 'exactly one token request for 20 API calls');
  assert.is(emu.stats.byRoute['GET /v2/projects'], 12);
  assert.is(emu.stats.byRoute['GET /v2/projects/:project_id/apps'], 8);
  assert.is(calls.length - before, 20, 'onRequest saw every API call');
});

test('projects: list, get by id, find by name', async () => {
  const [p] = await client.listProjects();
  assert.is(p.resource_type, 'project_v2');
  assert.match(p.id, /^[0-9a-f-]{36}$/);
  assert.is((await client.getProject(p.id)).name, p.name);
  assert.is((await client.findProjectByName(p.name))?.id, p.id);
  assert.is(await client.findProjectByName('no-such-project'), null);
  const created = await client.createProject({ name: 'second project' });
  assert.is(created.outcome, 'created');
  assert.is(created.value.status, 'creating');
});

test('apps: create fills defaults, get returns the ETag, list pages with limit 5', async () => {
  const created = await project.apps.create(app('page-0'));
  assert.is(created.outcome, 'created');
  assert.is(created.value.image_port, 8080);
  assert.is(created.value.scale_max_instances, 10);
  assert.is(created.value.status_details.latest_created_revision, 'page-0-00001');
  for (let i = 1; i < 12; i++) await project.apps.create(app(`page-${i}`));
  const got = await project.apps.get('page-3');
  assert.ok(got.etag, 'etag present');
  assert.is(got.etag, got.value.entity_tag);
  const before = calls.length;
  const all = await project.apps.list({ limit: 5 });
  const pageCalls = calls.slice(before).filter((c) => c.path.endsWith('/apps'));
  assert.is(pageCalls.length, 3, '12 apps at 5 per page = 3 pages');
  const names = all.map((a) => a.name).filter((n) => n.startsWith('page-'));
  assert.is(names.length, 12);
  assert.is(new Set(names).size, 12, 'no item repeated across pages');
  for (let i = 0; i < 12; i++) await project.apps.delete(`page-${i}`);
  assert.is((await project.apps.list()).filter((a) => a.name.startsWith('page-')).length, 0);
});

test('pagination over 100 secrets, 40 per page', async () => {
  const names = Array.from({ length: 99 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
  await Promise.all(names.map((name) => project.secrets.create({ name, format: 'generic', data: { k: 'v' } })));
  const before = calls.length;
  const secrets = await project.secrets.list({ limit: 40 });
  assert.is(calls.slice(before).length, 3, '100 secrets at 40 per page = 3 calls');
  assert.is(secrets.length, 100, '99 created + the system registry secret');
  assert.is(new Set(secrets.map((s) => s.name)).size, 100);
  await Promise.all(names.map((name) => project.secrets.delete(name)));
});

test('waitUntilSettled: deploying → ready with latest revision ready', async () => {
  await project.apps.create(app('settle'));
  const settled = await project.apps.waitUntilSettled('settle', { intervalMs: 20, timeoutMs: 5000 });
  assert.is(settled.value.status, 'ready');
  assert.is(settled.value.status_details.latest_ready_revision, 'settle-00001');
  assert.match(
    settled.value.endpoint ?? '',
    /^https:\/\/settle\.[a-z0-9]{11}\.us-south\.codeengine\.appdomain\.cloud$/,
  );
});

test('waitUntilSettled stops when its signal aborts', async () => {
  // An emulator whose apps take a minute to become ready: only the abort can end the wait.
  const slowEmu = await startCodeEngineEmulator({ timing: { appReadyDelayMs: 60_000 }, log: () => undefined });
  const slow = new CodeEngineClient({
    apiKey: 'k-slow',
    region: 'us-south',
    serviceUrl: slowEmu.url,
    iamUrl: slowEmu.iamUrl,
  });
  try {
    const apps = slow.project(slowEmu.projects[0].id).apps;
    await apps.create(app('slow'));
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop waiting')), 30);
    const err = await apps.waitUntilSettled('slow', { intervalMs: 10, signal: ac.signal }).catch((e: unknown) => e);
    assert.instance(err, Error);
    assert.is((err as Error).message, 'stop waiting');
  } finally {
    await slow.close();
    await slowEmu.close();
  }
});

test('patch with a stale etag gets 412; patchWithRetryOn412 re-reads and converges', async () => {
  const first = await project.apps.get('settle');
  // Someone else writes behind our back, through the same public API.
  const other = new CodeEngineClient({ apiKey: API_KEY, region: 'us-south', serviceUrl: emu.url, iamUrl: emu.iamUrl });
  await other.project(emu.projects[0].id).apps.patch('settle', { scale_max_instances: 3 }, first.etag);
  await other.close();
  try {
    await project.apps.patch('settle', { scale_min_instances: 1 }, first.etag);
    assert.unreachable('stale etag must fail');
  } catch (e) {
    assert.instance(e, CodeEngineApiError);
    assert.is((e as CodeEngineApiError).status, 412);
    assert.is((e as CodeEngineApiError).code, 'precondition_failed');
    assert.ok((e as CodeEngineApiError).retryable, '412 is retryable after a re-read');
  }
  let computed = 0;
  emu.setFaults({ race412Once: true });
  const res = await project.apps.patchWithRetryOn412('settle', (cur) => {
    computed++;
    return cur.scale_min_instances === 1 ? null : { scale_min_instances: 1 };
  });
  assert.is(computed, 2, 'the injected race forced one re-read and recompute');
  assert.is(emu.stats.faultsInjected['412Race'], 1);
  assert.ok(res.updated);
  assert.is(res.value.scale_min_instances, 1);
  assert.is(res.value.scale_max_instances, 3, "the other writer's change is kept");
  const again = await project.apps.patchWithRetryOn412('settle', (cur) =>
    cur.scale_min_instances === 1 ? null : { scale_min_instances: 1 },
  );
  assert.not.ok(again.updated, 'no write when nothing changes');
  const revisions = await project.apps.listRevisions('settle');
  assert.is(revisions[0].name, 'settle-00003', 'one new revision per config change');
});

test('create of an existing name: 409 is resolved to the existing app (outcome existing)', async () => {
  const res = await project.apps.create(app('settle'));
  assert.is(res.outcome, 'existing');
  assert.is(res.value.name, 'settle');
  assert.is(emu.stats.byStatus['409'] >= 1, true);
});

test('invalid cpu/memory: 400 whose diagnostic quotes the error body', async () => {
  try {
    await project.apps.create(app('bad-combo', { scale_cpu_limit: '1', scale_memory_limit: '1G' }));
    assert.unreachable('must be rejected');
  } catch (e) {
    assert.instance(e, CodeEngineApiError);
    const err = e as CodeEngineApiError;
    assert.is(err.status, 400);
    assert.is(err.code, 'invalid_cpu_memory_combination');
    assert.not.ok(err.retryable, 'a 400 never gets better by retrying');
    assert.match(err.trace ?? '', /^codeengine-api-[0-9a-f]{32}$/);
    const d = err.toDiagnostic();
    assert.is(d.code, 'ce.bad-request');
    assert.match(
      d.detail ?? '',
      /invalid_cpu_memory_combination: The combination of CPU 1 and memory 1G is not supported/,
    );
    assert.match(d.detail ?? '', /2G, 4G, 8G/);
    assert.match(d.detail ?? '', /\[field scale_memory_limit\]/);
  }
  assert.is(await project.apps.find('bad-combo'), null, 'nothing was created');
});

test('secrets: create, get, replace with If-Match, 412 when stale; values never in errors', async () => {
  const value = `s3cr3t-${Math.random().toString(36).slice(2)}`;
  const created = await project.secrets.create({ name: 'db-creds', format: 'generic', data: { PASSWORD: value } });
  assert.is(created.outcome, 'created');
  assert.is(created.value.resource_type, 'secret_generic_v2');
  const got = await project.secrets.get('db-creds');
  assert.is(got.value.data?.PASSWORD, value);
  const replaced = await project.secrets.replace(
    'db-creds',
    { format: 'generic', data: { PASSWORD: `${value}-2` } },
    got.etag,
  );
  assert.is.not(replaced.etag, got.etag);
  const errors: CodeEngineApiError[] = [];
  for (const attempt of [
    () => project.secrets.replace('db-creds', { format: 'generic', data: { PASSWORD: value } }, got.etag),
    () => project.secrets.create({ name: 'db-creds', format: 'basic_auth', data: { password: value } }),
    () => project.secrets.replace('db-creds', { format: 'generic', data: { 'bad key!': value } }, replaced.etag),
  ]) {
    try {
      await attempt();
      assert.unreachable('must fail');
    } catch (e) {
      assert.instance(e, CodeEngineApiError);
      errors.push(e as CodeEngineApiError);
    }
  }
  assert.equal(
    errors.map((e) => e.status),
    [412, 400, 400],
  );
  for (const e of errors) {
    const d = e.toDiagnostic();
    for (const text of [e.message, d.summary, d.detail ?? '', JSON.stringify(e.errors)]) {
      assert.not.ok(text.includes(value), `secret value leaked: ${text}`);
      assert.not.ok(text.includes(API_KEY), 'api key leaked');
    }
  }
  assert.ok(await project.secrets.delete('db-creds'));
  assert.is(await project.secrets.find('db-creds'), null);
});

test('delete: 404 is an error, unless ignoreNotFound', async () => {
  try {
    await project.apps.delete('never-existed');
    assert.unreachable('must fail');
  } catch (e) {
    assert.is((e as CodeEngineApiError).status, 404);
    assert.is((e as CodeEngineApiError).toDiagnostic().code, 'ce.not-found');
  }
  assert.is(await project.apps.delete('never-existed', { ignoreNotFound: true }), false);
});

test('unknown project: 404 diagnostic names the project id as the thing to check', async () => {
  try {
    await client.project('00000000-0000-0000-0000-000000000000').apps.list();
    assert.unreachable('must fail');
  } catch (e) {
    const d = (e as CodeEngineApiError).toDiagnostic();
    assert.match(d.detail ?? '', /project id/);
    assert.match(d.detail ?? '', /resource_not_found: Resource not found\./);
  }
});

test('wrong API key: IAM error diagnostic, without the key', async () => {
  const wrongKey = `wrong-${Math.random().toString(36).slice(2)}-key`;
  const bad = new CodeEngineClient({
    apiKey: wrongKey,
    region: 'us-south',
    serviceUrl: emu.url,
    iamUrl: emu.iamUrl,
    retryBaseMs: 1,
  });
  try {
    await bad.listProjects();
    assert.unreachable('must fail');
  } catch (e) {
    assert.instance(e, CodeEngineApiError);
    const err = e as CodeEngineApiError;
    assert.is(err.service, 'iam');
    assert.is(err.status, 400);
    assert.is(err.code, 'BXNIM0415E');
    const d = err.toDiagnostic();
    assert.is(d.code, 'ce.auth-failed');
    assert.match(d.detail ?? '', /API key/);
    assert.match(d.detail ?? '', /IAM url/);
    for (const text of [err.message, d.detail ?? '', d.summary, JSON.stringify(err)])
      assert.not.ok(text.includes(wrongKey), 'api key leaked');
  } finally {
    await bad.close();
  }
});

test('revoked token: one 401, a fresh token, then success', async () => {
  emu.resetStats();
  emu.revokeTokens();
  const projects = await client.listProjects();
  assert.ok(projects.length >= 1);
  assert.is(emu.stats.byStatus['401'], 1);
  assert.is(emu.stats.tokenRequests, 1);
});

test('raw request without a token: 401 with the error container', async () => {
  const r = await fetch(`${emu.url}/projects`);
  assert.is(r.status, 401);
  const body = (await r.json()) as { errors: Array<{ code: string }>; trace: string; status_code: number };
  assert.is(body.status_code, 401);
  assert.is(body.errors[0].code, 'unauthorized');
  assert.match(body.trace, /^codeengine-api-[0-9a-f]{32}$/);
});

test('builds and build runs: create, patch, run pending → running → succeeded with git sha and digest', async () => {
  const b = await project.builds.create({
    name: 'img',
    output_image: 'private.us.icr.io/ns/img:1',
    output_secret: 'ce-auto-icr-private-us-south',
    strategy_type: 'dockerfile',
    source_url: 'https://github.com/example/repo',
  });
  assert.is(b.outcome, 'created');
  assert.is(b.value.status, 'ready');
  assert.is(b.value.strategy_spec_file, 'Dockerfile');
  const patched = await project.builds.patch('img', { source_revision: 'main' }, b.etag);
  assert.is(patched.value.source_revision, 'main');
  const run = await project.buildRuns.create({ build_name: 'img' });
  assert.is(run.value.status, 'pending');
  assert.match(run.value.name, /^img-run-\d{6}-\d{6}-[0-9a-f]{4}$/);
  const done = await project.buildRuns.waitForCompletion(run.value.name, { intervalMs: 10, timeoutMs: 5000 });
  assert.is(done.status, 'succeeded');
  assert.match(done.status_details.git_commit_sha ?? '', /^[0-9a-f]{40}$/);
  assert.match(done.status_details.output_digest ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.ok(done.status_details.start_time && done.status_details.completion_time);
  const byBuild = await project.buildRuns.listByBuild('img');
  assert.equal(
    byBuild.map((r) => r.name),
    [run.value.name],
  );
  emu.setFaults({ failBuildRuns: true });
  const failing = await project.buildRuns.create({ build_name: 'img' });
  emu.setFaults({ failBuildRuns: false });
  assert.is(
    (await project.buildRuns.waitForCompletion(failing.value.name, { intervalMs: 10, timeoutMs: 5000 })).status,
    'failed',
  );
  assert.ok(await project.buildRuns.delete(run.value.name));
  assert.ok(await project.builds.delete('img'));
  assert.is((await project.buildRuns.listByBuild('img')).length, 0, 'runs go with their build');
});

test.run();
