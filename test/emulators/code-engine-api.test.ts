// The Code Engine emulator's wire protocol checked with raw HTTP (no client library), against
// the reference's §11 checklist: IAM JWTs, bearer auth, status codes, ETag/If-Match, error
// container, defaults and validation, quotas, revisions, visibility, paging, admin endpoints.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../src/emulators/code-engine/index.js';

let emu: CodeEngineEmulator;
let token = '';
let pid = '';

interface Res {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; auth?: boolean; raw?: string } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.auth !== false) headers.authorization = `Bearer ${token}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  }
  const r = await fetch(`${emu.baseUrl}${path}`, { method, headers, body });
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

const apps = (): string => `/v2/projects/${pid}/apps`;
const mini = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image_reference: 'icr.io/codeengine/helloworld',
  ...extra,
});

function assertErrorContainer(r: Res, status: number, code: string): void {
  assert.is(r.status, status, r.text);
  assert.is(r.json.status_code, status);
  assert.match(r.json.trace, /^codeengine-api-[0-9a-f]{32}$/);
  assert.is(r.json.errors[0].code, code, r.text);
  assert.type(r.json.errors[0].message, 'string');
}

test.before(async () => {
  emu = await startCodeEngineEmulator({
    behaviour: 'strict-client',
    projects: [{ name: 'alpha', id: '15314cc3-85b4-4338-903f-c28cdee6d005', subdomain: 'abcdefghijk' }],
    timing: { appReadyDelayMs: 40, projectReadyDelayMs: 40, buildRunPendingMs: 20, buildRunDurationMs: 20 },
    revisionRetention: 10,
    apiKeys: ['the-key'],
    log: () => undefined,
  });
  pid = emu.projects[0].id;
  const r = await fetch(`${emu.iamUrl}/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=the-key&response_type=cloud_iam',
  });
  const body = (await r.json()) as Record<string, unknown>;
  token = body.access_token as string;
});

test.after(async () => {
  await emu.close();
});

test('IAM: the token is a JWT with iat/exp, plus refresh_token, expires_in, expiration', async () => {
  const [h, p] = token
    .split('.')
    .map((part) => (part ? JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) : undefined));
  assert.is(h.typ, 'JWT');
  assert.is(p.exp - p.iat, 3600);
  const r = await fetch(`${emu.iamUrl}/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=the-key',
  });
  const body = (await r.json()) as Record<string, unknown>;
  assert.is(body.token_type, 'Bearer');
  assert.is(body.expires_in, 3600);
  assert.type(body.refresh_token, 'string');
  assert.ok(Math.abs((body.expiration as number) - Date.now() / 1000 - 3600) < 5);
});

test('IAM: wrong key, missing key, wrong grant and JSON body are IAM-style 400s that do not echo the key', async () => {
  const form = (body: string, ct = 'application/x-www-form-urlencoded') =>
    fetch(`${emu.iamUrl}/identity/token`, { method: 'POST', headers: { 'content-type': ct }, body });
  const wrong = await form('grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=not-the-key-123');
  assert.is(wrong.status, 400);
  const text = await wrong.text();
  assert.is(JSON.parse(text).errorCode, 'BXNIM0415E');
  assert.not.ok(text.includes('not-the-key-123'));
  assert.is((await form('grant_type=urn:ibm:params:oauth:grant-type:apikey')).status, 400);
  assert.is((await form('grant_type=password&apikey=the-key')).status, 400);
  assert.is((await form('{"apikey":"the-key"}', 'application/json')).status, 400);
});

test('API: no token, a foreign token and an expired token are 401 with the error container', async () => {
  assertErrorContainer(await call('GET', '/v2/projects', { auth: false }), 401, 'unauthorized');
  assertErrorContainer(
    await call('GET', '/v2/projects', { headers: { authorization: 'Bearer e30.e30.' }, auth: false }),
    401,
    'unauthorized',
  );
  const short = await startCodeEngineEmulator({ tokenTtlSeconds: 1, log: () => undefined });
  try {
    const r = await fetch(`${short.iamUrl}/identity/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=x',
    });
    const t = ((await r.json()) as { access_token: string }).access_token;
    assert.is((await fetch(`${short.url}/projects`, { headers: { authorization: `Bearer ${t}` } })).status, 200);
    await new Promise((res) => setTimeout(res, 1100));
    const expired = await fetch(`${short.url}/projects`, { headers: { authorization: `Bearer ${t}` } });
    assert.is(expired.status, 401);
    assert.match(((await expired.json()) as { errors: Array<{ message: string }> }).errors[0].message, /expired/);
  } finally {
    await short.close();
  }
});

test('any version parameter, or none, is accepted', async () => {
  for (const q of ['', '?version=2021-03-31', '?version=2025-07-10', '?version=2099-01-01']) {
    assert.is((await call('GET', `/v2/projects${q}`)).status, 200);
  }
});

test('projects: seeded with the given id; POST is 202 creating → active', async () => {
  const got = await call('GET', `/v2/projects/${pid}`);
  assert.is(got.json.name, 'alpha');
  assert.is(got.json.crn, `crn:v1:bluemix:public:codeengine:us-south:a/${got.json.account_id}:${pid}::`);
  const created = await call('POST', '/v2/projects', { body: { name: 'beta' } });
  assert.is(created.status, 202);
  assert.is(created.json.status, 'creating');
  await new Promise((res) => setTimeout(res, 60));
  assert.is((await call('GET', `/v2/projects/${created.json.id}`)).json.status, 'active');
  assertErrorContainer(await call('POST', '/v2/projects', { body: { name: 'beta' } }), 409, 'resource_already_exists');
  assert.is((await call('DELETE', `/v2/projects/${created.json.id}`)).status, 202);
  assertErrorContainer(await call('GET', `/v2/projects/${created.json.id}`), 404, 'resource_not_found');
});

test('app create: 201, ETag header = entity_tag, §5 defaults, endpoints from the subdomain', async () => {
  const r = await call('POST', apps(), { body: mini('web') });
  assert.is(r.status, 201);
  assert.is(r.headers.get('etag'), `"${r.json.entity_tag}"`);
  assert.match(r.json.entity_tag, /^[*\-a-z0-9]+$/);
  const d = r.json;
  assert.equal(
    [
      d.image_port,
      d.managed_domain_mappings,
      d.scale_cpu_limit,
      d.scale_memory_limit,
      d.scale_ephemeral_storage_limit,
      d.scale_min_instances,
      d.scale_max_instances,
      d.scale_initial_instances,
      d.scale_concurrency,
      d.scale_concurrency_target,
      d.scale_request_timeout,
      d.scale_down_delay,
      d.run_service_account,
      d.run_as_user,
    ],
    [8080, 'local_public', '1', '4G', '400M', 0, 10, 1, 100, 100, 300, 0, 'default', 0],
  );
  assert.is(d.status, 'deploying');
  assert.is(d.resource_type, 'app_v2');
  assert.is(d.endpoint, 'https://web.abcdefghijk.us-south.codeengine.appdomain.cloud');
  assert.is(d.endpoint_internal, 'http://web.abcdefghijk.svc.cluster.local');
  assert.ok(
    d.computed_env_variables.some(
      (e: { name: string; value: string }) => e.name === 'CE_SUBDOMAIN' && e.value === 'abcdefghijk',
    ),
  );
  const priv = await call('POST', apps(), { body: mini('priv', { managed_domain_mappings: 'local_private' }) });
  assert.is(priv.json.endpoint, 'https://priv.abcdefghijk.private.us-south.codeengine.appdomain.cloud');
  const local = await call('POST', apps(), { body: mini('proj-only', { managed_domain_mappings: 'local' }) });
  assert.is(local.json.endpoint, undefined);
  assert.is(local.json.endpoint_internal, 'http://proj-only.abcdefghijk.svc.cluster.local');
  assertErrorContainer(await call('POST', apps(), { body: mini('web') }), 409, 'resource_already_exists');
});

test('app lifecycle: deploying → ready; instances follow min/initial scale', async () => {
  await call('POST', apps(), { body: mini('scaled', { scale_min_instances: 2 }) });
  await new Promise((res) => setTimeout(res, 60));
  const got = await call('GET', `${apps()}/scaled`);
  assert.is(got.json.status, 'ready');
  assert.equal(got.json.status_details, {
    latest_created_revision: 'scaled-00001',
    latest_ready_revision: 'scaled-00001',
    reason: 'ready',
  });
  const inst = await call('GET', `${apps()}/scaled/instances`);
  assert.is(inst.json.instances.length, 2);
  assert.is(inst.json.instances[0].status, 'running');
  assert.is(inst.json.instances[0].revision_name, 'scaled-00001');
  assert.match(inst.json.instances[0].name, /^scaled-00001-deployment-[0-9a-f]{10}-[0-9a-f]{5}$/);
});

test('PATCH: merge-patch + If-Match; missing → 400, stale → 412, * → ok, wrong media type → 415', async () => {
  const cur = await call('GET', `${apps()}/web`);
  const tag = cur.json.entity_tag as string;
  assertErrorContainer(
    await call('PATCH', `${apps()}/web`, { body: { scale_max_instances: 5 } }),
    400,
    'missing_if_match_header',
  );
  assertErrorContainer(
    await call('PATCH', `${apps()}/web`, { body: { scale_max_instances: 5 }, headers: { 'if-match': '12345' } }),
    412,
    'precondition_failed',
  );
  const wrongType = await call('PATCH', `${apps()}/web`, {
    body: { scale_max_instances: 5 },
    headers: { 'if-match': tag, 'content-type': 'application/json' },
  });
  assert.is(wrongType.status, 415);
  const ok = await call('PATCH', `${apps()}/web`, {
    body: { scale_max_instances: 5, run_commands: ['/bin/app'] },
    headers: { 'if-match': `"${tag}"` },
  });
  assert.is(ok.status, 200);
  assert.is.not(ok.json.entity_tag, tag);
  assert.is(ok.json.status_details.latest_created_revision, 'web-00002');
  const star = await call('PATCH', `${apps()}/web`, { body: { run_commands: null }, headers: { 'if-match': '*' } });
  assert.equal(star.json.run_commands, [], 'null clears the field back to its default');
  assert.is(star.json.scale_max_instances, 5);
  assert.is(star.json.status_details.latest_created_revision, 'web-00003');
  const same = await call('PATCH', `${apps()}/web`, { body: { scale_max_instances: 5 }, headers: { 'if-match': '*' } });
  assert.is(same.json.entity_tag, star.json.entity_tag, 'a no-op patch writes nothing');
  assert.is(same.json.status_details.latest_created_revision, 'web-00003');
  assertErrorContainer(
    await call('PATCH', `${apps()}/web`, { body: { name: 'other' }, headers: { 'if-match': '*' } }),
    400,
    'invalid_field_value',
  );
  const revs = await call('GET', `${apps()}/web/revisions`);
  assert.equal(
    revs.json.revisions.map((r: { name: string }) => r.name),
    ['web-00003', 'web-00002', 'web-00001'],
  );
  assert.is(revs.json.revisions[0].resource_type, 'app_revision_v2');
});

test('DELETE: 202 with an empty body, then 404 resource_not_found', async () => {
  const r = await call('DELETE', `${apps()}/priv`);
  assert.is(r.status, 202);
  assert.is(r.text, '');
  const gone = await call('GET', `${apps()}/priv`);
  assertErrorContainer(gone, 404, 'resource_not_found');
  assert.is(gone.json.errors[0].message, 'Resource not found.');
});

test('validation: names, cpu/memory combos, ephemeral storage, scale bounds, unknown fields, volume mount names', async () => {
  const bad = async (body: Record<string, unknown>, code: string, field?: string, query = ''): Promise<void> => {
    const r = await call('POST', `${apps()}${query}`, { body });
    assertErrorContainer(r, 400, code);
    if (field) assert.is(r.json.errors[0].target?.name, field, r.text);
  };
  await bad(mini('Upper'), 'invalid_field_value', 'name');
  await bad(mini('ends-with-'), 'invalid_field_value', 'name');
  await bad(mini('a'.repeat(64)), 'invalid_field_value', 'name');
  await bad({ name: 'noimage' }, 'missing_field', 'image_reference');
  await bad(
    mini('combo', { scale_cpu_limit: '0.5', scale_memory_limit: '8G' }),
    'invalid_cpu_memory_combination',
    'scale_memory_limit',
  );
  await bad(mini('combo', { scale_cpu_limit: '3', scale_memory_limit: '8G' }), 'invalid_cpu_memory_combination');
  await bad(
    mini('eph', { scale_cpu_limit: '0.125', scale_memory_limit: '250M', scale_ephemeral_storage_limit: '1G' }),
    'invalid_field_value',
    'scale_ephemeral_storage_limit',
  );
  await bad(
    mini('eph', { scale_ephemeral_storage_limit: '5G' }),
    'invalid_field_value',
    'scale_ephemeral_storage_limit',
  );
  await bad(mini('scale', { scale_max_instances: 251 }), 'invalid_field_value', 'scale_max_instances');
  await bad(
    mini('scale', { scale_min_instances: 5, scale_max_instances: 2 }),
    'invalid_field_value',
    'scale_min_instances',
  );
  await bad(mini('scale', { scale_request_timeout: 601 }), 'invalid_field_value', 'scale_request_timeout');
  await bad(mini('scale', { scale_concurrency: 1001 }), 'invalid_field_value', 'scale_concurrency');
  await bad(mini('extra', { replicas: 3 }), 'unknown_field', 'replicas');
  await bad(
    mini('env', { run_env_variables: [{ type: 'secret_key_reference', name: 'X', reference: 's' }] }),
    'missing_field',
  );
  const mount = { run_volume_mounts: [{ name: 'm', mount_path: '/data', reference: 's', type: 'secret' }] };
  await bad(mini('vol', mount), 'invalid_field_value', 'run_volume_mounts[0].name');
  const old = await call('POST', `${apps()}?version=2024-05-13`, { body: mini('vol', mount) });
  assert.is(old.status, 201, 'older versions still accept run_volume_mounts[].name');
  for (const [cpu, mem] of [
    ['0.125', '0.25G'],
    ['0.125', '250M'],
    ['4', '32G'],
    ['12', '48G'],
    ['0.5', '2Gi'],
  ]) {
    const ok = await call('POST', apps(), {
      body: mini(`ok-${`${cpu}-${mem}`.toLowerCase().replace(/[^a-z0-9]+/g, '')}`, {
        scale_cpu_limit: cpu,
        scale_memory_limit: mem,
        scale_ephemeral_storage_limit: '200M',
      }),
    });
    assert.is(ok.status, 201, `${cpu}/${mem}: ${ok.text}`);
  }
});

test('quotas: 40 apps per project, 120 revisions per project', async () => {
  const existing = (await call('GET', `${apps()}?limit=100`)).json.apps.length as number;
  for (let i = existing; i < 40; i++) assert.is((await call('POST', apps(), { body: mini(`fill-${i}`) })).status, 201);
  assertErrorContainer(await call('POST', apps(), { body: mini('one-too-many') }), 400, 'quota_exceeded');
  const all = (await call('GET', `${apps()}?limit=100`)).json.apps as Array<{ name: string }>;
  assert.is(all.length, 40);
  let quotaHit = false;
  for (let round = 0; round < 3 && !quotaHit; round++) {
    for (const a of all) {
      const r = await call('PATCH', `${apps()}/${a.name}`, {
        body: { scale_down_delay: round + 10 },
        headers: { 'if-match': '*' },
      });
      if (r.status === 400) {
        assertErrorContainer(r, 400, 'quota_exceeded');
        quotaHit = true;
        break;
      }
      assert.is(r.status, 200, r.text);
    }
  }
  assert.ok(quotaHit, 'the 121st revision is refused');
  let total = 0;
  for (const a of all) total += (await call('GET', `${apps()}/${a.name}/revisions?limit=100`)).json.revisions.length;
  assert.is(total, 120);
  for (const a of all) assert.is((await call('DELETE', `${apps()}/${a.name}`)).status, 202);
});

test('paging: limit bounds, start/next tokens, first.href', async () => {
  for (let i = 0; i < 5; i++) await call('POST', apps(), { body: mini(`pg-${i}`) });
  assertErrorContainer(await call('GET', `${apps()}?limit=0`), 400, 'invalid_field_value');
  assertErrorContainer(await call('GET', `${apps()}?limit=101`), 400, 'invalid_field_value');
  const names: string[] = [];
  let start: string | undefined;
  let pages = 0;
  do {
    const r = await call('GET', `${apps()}?limit=2${start ? `&start=${start}` : ''}`);
    pages++;
    assert.is(r.json.limit, 2);
    assert.match(r.json.first.href, /limit=2/);
    names.push(...r.json.apps.map((a: { name: string }) => a.name));
    start = r.json.next?.start;
    if (start) assert.match(r.json.next.href, new RegExp(`start=${start}`));
  } while (start);
  assert.is(pages, 3);
  assert.equal(names, ['pg-0', 'pg-1', 'pg-2', 'pg-3', 'pg-4']);
});

test('secrets: 201, PUT with If-Match (no PATCH), format rules, DELETE 202; system registry secret seeded', async () => {
  const base = `/v2/projects/${pid}/secrets`;
  const list = await call('GET', `${base}?format=registry`);
  assert.equal(
    list.json.secrets.map((s: { name: string; generated_by: string }) => [s.name, s.generated_by]),
    [['ce-auto-icr-private-us-south', 'system']],
  );
  const c = await call('POST', base, {
    body: { name: 'reg', format: 'registry', data: { server: 'icr.io', username: 'u', password: 'p' } },
  });
  assert.is(c.status, 201);
  assert.is(c.json.resource_type, 'secret_registry_v2');
  assertErrorContainer(
    await call('POST', base, { body: { name: 'reg2', format: 'registry', data: { server: 'icr.io' } } }),
    400,
    'missing_field',
  );
  assertErrorContainer(
    await call('POST', base, { body: { name: 'Bad_Name', format: 'generic' } }),
    400,
    'invalid_field_value',
  );
  assertErrorContainer(
    await call('PUT', `${base}/reg`, {
      body: { format: 'registry', data: { server: 'a', username: 'b', password: 'c' } },
    }),
    400,
    'missing_if_match_header',
  );
  const put = await call('PUT', `${base}/reg`, {
    body: { format: 'registry', data: { server: 'a', username: 'b', password: 'c' } },
    headers: { 'if-match': c.json.entity_tag },
  });
  assert.is(put.status, 200);
  assert.is(put.json.data.server, 'a');
  assert.is((await call('PATCH', `${base}/reg`, { body: {}, headers: { 'if-match': '*' } })).status, 405);
  assert.is((await call('DELETE', `${base}/reg`)).status, 202);
});

test('build runs: 202, generated name, unknown build → failed build_not_found, inline needs fields', async () => {
  const base = `/v2/projects/${pid}/build_runs`;
  const missing = await call('POST', base, { body: { build_name: 'nope' } });
  assert.is(missing.status, 202);
  assert.is(missing.json.status, 'failed');
  assert.is(missing.json.status_details.reason, 'build_not_found');
  assertErrorContainer(
    await call('POST', base, { body: { source_url: 'https://example.com/x.git' } }),
    400,
    'missing_field',
  );
  const inline = await call('POST', base, {
    body: {
      output_image: 'icr.io/a/b:1',
      output_secret: 'ce-auto-icr-private-us-south',
      strategy_type: 'dockerfile',
      source_url: 'https://example.com/x.git',
    },
  });
  assert.is(inline.status, 202);
  assert.match(inline.json.name, /^build-run-\d{6}-\d{6}$/);
  assert.is(inline.json.status, 'pending');
  await new Promise((res) => setTimeout(res, 60));
  const done = await call('GET', `${base}/${inline.json.name}`);
  assert.is(done.json.status, 'succeeded');
  assert.is(done.json.status_details.reason, 'succeeded');
});

test('builds: an output secret that does not exist makes the build failed', async () => {
  const r = await call('POST', `/v2/projects/${pid}/builds`, {
    body: {
      name: 'nosecret',
      output_image: 'icr.io/a/b:1',
      output_secret: 'absent',
      strategy_type: 'dockerfile',
      source_url: 'https://example.com/x.git',
    },
  });
  assert.is(r.status, 201);
  assert.is(r.json.status, 'failed');
  assert.is(r.json.status_details.reason, 'spec_output_secret_ref_not_found');
  assert.is(r.json.strategy_size, 'medium');
  assert.is(r.json.timeout, 600);
});

test('admin: faults via POST /__emulator/faults (validated), stats via GET /__emulator/stats', async () => {
  const bad = await fetch(`${emu.baseUrl}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ rate429: 2 }) });
  assert.is(bad.status, 400);
  const unknown = await fetch(`${emu.baseUrl}/__emulator/faults`, {
    method: 'POST',
    body: JSON.stringify({ explode: true }),
  });
  assert.is(unknown.status, 400);
  await fetch(`${emu.baseUrl}/__emulator/stats/reset`, { method: 'POST' });
  const set = await fetch(`${emu.baseUrl}/__emulator/faults`, {
    method: 'POST',
    body: JSON.stringify({ rate429: 1, retryAfterSeconds: 7 }),
  });
  assert.is(((await set.json()) as { rate429: number }).rate429, 1);
  const limited = await call('GET', '/v2/projects');
  assertErrorContainer(limited, 429, 'too_many_requests');
  assert.is(limited.headers.get('retry-after'), '7');
  await fetch(`${emu.baseUrl}/__emulator/faults`, {
    method: 'POST',
    body: JSON.stringify({ rate429: 0, rate5xxAfterWrite: 1 }),
  });
  const lost = await call('POST', apps(), { body: mini('landed') });
  assertErrorContainer(lost, 503, 'service_unavailable');
  await fetch(`${emu.baseUrl}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ rate5xxAfterWrite: 0 }) });
  assert.is((await call('GET', `${apps()}/landed`)).status, 200, 'the write landed despite the 503');
  const stats = (await (await fetch(`${emu.baseUrl}/__emulator/stats`)).json()) as {
    byRoute: Record<string, number>;
    faultsInjected: Record<string, number>;
    byStatus: Record<string, number>;
  };
  assert.is(stats.byRoute['GET /v2/projects'], 1);
  assert.is(stats.byRoute['POST /v2/projects/:project_id/apps'], 1);
  assert.is(stats.byRoute['GET /v2/projects/:project_id/apps/:app_name'], 1);
  assert.is(stats.faultsInjected['429'], 1);
  assert.is(stats.faultsInjected['5xxAfterWrite'], 1);
  assert.is(stats.byStatus['429'], 1);
  const info = (await (await fetch(`${emu.baseUrl}/__emulator/info`)).json()) as {
    url: string;
    projects: Array<{ id: string }>;
  };
  assert.is(info.url, emu.url);
  assert.is(info.projects[0].id, pid);
});

test.run();
