// The production Code Engine client against the emulator's realistic mode, where the emulator
// behaves like IBM's service rather than like the client's assumptions: a stale entity tag is a
// 409 (recognised by its body, and told apart from a duplicate name and a dying app), deletes
// are asynchronous (waitUntilGone), revisions appear after the PATCH answers (the settle wait
// needs the new one), secret lists carry no data (completed by GET only where needed), probe
// defaults come back filled in (and compare equal), and old build runs are pruned.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeEngineApiError, CodeEngineClient, type ProjectClient } from '../../../src/backends/code-engine/client.js';
import { normalizeProbe } from '../../../src/backends/code-engine/desired-app.js';
import { pruneBuildRuns } from '../../../src/backends/code-engine/builds.js';
import { SecretDataCache } from '../../../src/backends/code-engine/secret-data.js';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../../src/emulators/code-engine/index.js';

let emu: CodeEngineEmulator;
let client: CodeEngineClient;
let project: ProjectClient;

test.before(async () => {
  emu = await startCodeEngineEmulator({
    timing: {
      appReadyDelayMs: 30,
      deleteDelayMs: 300,
      revisionLagMs: 150,
      buildRunPendingMs: 10,
      buildRunDurationMs: 10,
    },
    log: () => undefined,
  });
  client = new CodeEngineClient({
    apiKey: 'realistic-key',
    region: 'us-south',
    serviceUrl: emu.url,
    iamUrl: emu.iamUrl,
    retryBaseMs: 5,
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

test('a stale entity tag is a 409 whose body says so: stale, retryable, re-read by the helper', async () => {
  assert.is(emu.behaviour, 'realistic');
  await project.apps.create(app('stale'));
  const first = await project.apps.get('stale');
  await project.apps.patch('stale', { scale_max_instances: 3 }, first.etag);
  let err: CodeEngineApiError | undefined;
  try {
    await project.apps.patch('stale', { scale_min_instances: 1 }, first.etag);
  } catch (e) {
    err = e as CodeEngineApiError;
  }
  assert.instance(err, CodeEngineApiError);
  assert.is(err!.status, 409);
  assert.ok(err!.staleEntityTag, 'recognised as a stale tag');
  assert.ok(err!.retryable);
  assert.is(err!.toDiagnostic().code, 'ce.precondition-failed');
  // A duplicate name is a 409 too, but not a stale tag.
  const dup = await project.apps.create(app('stale'));
  assert.is(dup.outcome, 'existing');
  emu.setFaults({ race412Once: true });
  const r = await project.apps.patchWithRetryOn412('stale', (cur) =>
    cur.scale_min_instances === 1 ? null : { scale_min_instances: 1 },
  );
  assert.ok(r.updated);
  assert.is(emu.stats.faultsInjected['412Race'], 1);
  assert.is(r.value.scale_min_instances, 1);
});

test('revisions appear after the PATCH answers: settle waits for the new one', async () => {
  await project.apps.create(app('lag'));
  const created = await project.apps.waitUntilSettled('lag', { intervalMs: 20, timeoutMs: 10_000 });
  assert.is(created.value.status_details.latest_created_revision, 'lag-00001');
  const patched = await project.apps.patch('lag', { scale_max_instances: 4 }, created.etag);
  assert.is(
    patched.value.status_details.latest_created_revision,
    'lag-00001',
    'the PATCH answer still shows the old revision',
  );
  assert.is(patched.value.status, 'ready', '… and the old revision is ready');
  const settled = await project.apps.waitUntilSettled('lag', {
    intervalMs: 20,
    timeoutMs: 10_000,
    afterRevision: 'lag-00001',
  });
  assert.is(settled.value.status_details.latest_created_revision, 'lag-00002');
  assert.is(settled.value.status_details.latest_ready_revision, 'lag-00002');
});

test('deletes are asynchronous: the app lingers (409 on create and patch) until waitUntilGone sees 404', async () => {
  await project.apps.create(app('dying'));
  const cur = await project.apps.get('dying');
  assert.ok(await project.apps.delete('dying'));
  assert.ok(await project.apps.find('dying'), 'still visible right after the delete');
  let err: CodeEngineApiError | undefined;
  try {
    await project.apps.patch('dying', { scale_max_instances: 2 }, cur.etag);
  } catch (e) {
    err = e as CodeEngineApiError;
  }
  assert.is(err?.status, 409);
  assert.not.ok(err!.staleEntityTag, 'a dying app is not a stale tag');
  assert.is(err!.toDiagnostic().code, 'ce.being-deleted');
  assert.ok(await project.apps.waitUntilGone('dying', { intervalMs: 20, timeoutMs: 10_000 }));
  assert.is(await project.apps.find('dying'), null);
  assert.is((await project.apps.create(app('dying'))).outcome, 'created', 'the name is free again');
});

test('secret lists carry no data: the cache completes only wanted secrets, by GET or by a matching tag', async () => {
  await project.secrets.create({ name: 'mine-env', format: 'generic', data: { K: 'v1' } });
  await project.secrets.create({ name: 'theirs', format: 'generic', data: { K: 'x' } });
  const listed = await project.secrets.list();
  assert.ok(listed.every((s) => s.data === undefined));
  const cache = new SecretDataCache();
  const done = await cache.complete(project, listed, (n) => n === 'mine-env');
  assert.equal(done.find((s) => s.name === 'mine-env')?.data, { K: 'v1' });
  assert.is(done.find((s) => s.name === 'theirs')?.data, undefined, 'foreign secrets are not read');
  assert.is(cache.gets, 1);
  await cache.complete(project, await project.secrets.list(), (n) => n === 'mine-env');
  assert.is(cache.gets, 1, 'same entity tag: no second GET');
  const cur = await project.secrets.get('mine-env');
  await project.secrets.replace('mine-env', { format: 'generic', data: { K: 'v2' } }, cur.etag);
  const again = await cache.complete(project, await project.secrets.list(), (n) => n === 'mine-env');
  assert.is(cache.gets, 2, 'a new entity tag is read again');
  assert.equal(again.find((s) => s.name === 'mine-env')?.data, { K: 'v2' });
});

test('probe defaults come back filled in and compare equal to the probe sent', async () => {
  const sent = { type: 'tcp' as const, interval: 30, timeout: 5, failure_threshold: 3 };
  await project.apps.create(app('probed', { image_port: 3001, probe_liveness: sent }));
  const got = (await project.apps.get('probed')).value;
  assert.equal(got.probe_liveness, { ...sent, port: 0, initial_delay: 0 });
  assert.ok(got.probe_readiness, 'a default readiness probe is read back');
  assert.is(normalizeProbe(got.probe_liveness, 3001), normalizeProbe(sent, 3001));
  assert.is(normalizeProbe(got.probe_readiness, 3001), normalizeProbe({ type: 'tcp' }, 3001));
  assert.is.not(
    normalizeProbe({ ...sent, initial_delay: 5 }, 3001),
    normalizeProbe(sent, 3001),
    'a real delay differs',
  );
});

test('old build runs are pruned to the newest N', async () => {
  await project.builds.create({
    name: 'pruned',
    output_image: 'us.icr.io/ns/pruned:1',
    output_secret: `ce-auto-icr-private-us-south`,
    strategy_type: 'dockerfile',
    source_url: 'https://github.com/IBM/CodeEngine',
  });
  const names: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await project.buildRuns.create({ build_name: 'pruned', name: `pruned-run-${i}` });
    await project.buildRuns.waitForCompletion(r.value.name, { intervalMs: 10, timeoutMs: 5000 });
    names.push(r.value.name);
  }
  const deleted = await pruneBuildRuns(project, 'pruned', 2, 'pruned-run-3');
  assert.is(deleted, 2);
  const left = (await project.buildRuns.listByBuild('pruned')).map((r) => r.name).sort();
  assert.is(left.length, 2);
  assert.ok(left.includes('pruned-run-3'), 'the current run is kept');
});

test.run();
