// The Code Engine client under injected faults from the emulator: a 30 % 429 storm with
// Retry-After, 5xx before processing, and 5xx after the write landed (lost responses). Every
// create must succeed exactly once: no duplicates, no spurious failures, bounded retries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeEngineApiError, CodeEngineClient, type ProjectClient } from '../../../src/backends/code-engine/client.js';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../../src/emulators/code-engine/index.js';

let emu: CodeEngineEmulator;
let client: CodeEngineClient;
let project: ProjectClient;
const statuses: number[] = [];

test.before(async () => {
  // Realistic mode with instant deletion and revision lag 0 (a revision still appears only after
  // the write has answered): the retry paths are what is under test here.
  emu = await startCodeEngineEmulator({
    seed: 20260611,
    timing: { appReadyDelayMs: 10, deleteDelayMs: 0, revisionLagMs: 0 },
    log: () => undefined,
  });
  client = new CodeEngineClient({
    apiKey: 'resilience-key',
    region: 'us-south',
    serviceUrl: emu.url,
    iamUrl: emu.iamUrl,
    maxRetries: 10,
    retryBaseMs: 2,
    maxRetryDelayMs: 40,
    onRequest: (_m, _p, status) => statuses.push(status),
  });
  project = client.project(emu.projects[0].id);
});

test.after(async () => {
  await client.close();
  await emu.close();
});

test.before.each(() => {
  emu.setFaults({
    rate429: 0,
    rate5xx: 0,
    rate5xxAfterWrite: 0,
    rateResetAfterWrite: 0,
    latencyMs: 0,
    retryAfterSeconds: 0,
  });
  emu.resetStats();
  statuses.length = 0;
});

const app = (name: string) => ({
  name,
  image_reference: 'icr.io/codeengine/helloworld',
  scale_cpu_limit: '0.125',
  scale_memory_limit: '0.25G',
  scale_ephemeral_storage_limit: '0.25G',
});

test('429 storm at 30 %: 30 concurrent creates all succeed exactly once', async () => {
  emu.setFaults({ rate429: 0.3 });
  const names = Array.from({ length: 30 }, (_, i) => `storm-${i}`);
  const results = await Promise.all(names.map((n) => project.apps.create(app(n))));
  emu.setFaults({ rate429: 0 });
  assert.ok(emu.stats.faultsInjected['429'] > 0, 'the storm happened');
  assert.ok(statuses.includes(429), 'the client saw 429s');
  assert.equal(
    results.map((r) => r.outcome),
    names.map(() => 'created'),
    '429 is never ambiguous: every outcome is created',
  );
  const live = (await project.apps.list()).filter((a) => a.name.startsWith('storm-'));
  assert.is(live.length, 30);
  assert.is(new Set(live.map((a) => a.name)).size, 30);
  assert.is(emu.stats.byStatus['201'], 30, 'exactly one successful POST per app');
  for (const n of names) await project.apps.delete(n);
});

test('Retry-After is honoured: the client waits at least that long', async () => {
  emu.setFaults({ rate429: 1, retryAfterSeconds: 1 });
  const started = Date.now();
  const pending = client.listProjects().catch((e: unknown) => e);
  setTimeout(() => emu.setFaults({ rate429: 0 }), 300);
  const res = await pending;
  assert.ok(Array.isArray(res), 'succeeded once the storm stopped');
  assert.ok(Date.now() - started >= 1000, 'waited for Retry-After: 1');
});

test('5xx before processing: reads and creates are retried; a 501 is not', async () => {
  emu.setFaults({ rate5xx: 0.3 });
  const results = await Promise.all(Array.from({ length: 15 }, (_, i) => project.apps.create(app(`flaky-${i}`))));
  for (let i = 0; i < 10; i++) await project.apps.list();
  emu.setFaults({ rate5xx: 0 });
  assert.ok(emu.stats.faultsInjected['5xx'] > 0);
  const live = (await project.apps.list()).filter((a) => a.name.startsWith('flaky-'));
  assert.is(live.length, 15);
  assert.ok(results.every((r) => r.outcome === 'created' || r.outcome === 'recovered'));
  assert.is(emu.stats.byStatus['201'], 15, 'no create was sent twice after it landed');
  for (let i = 0; i < 15; i++) await project.apps.delete(`flaky-${i}`);

  emu.setFaults({ rate5xx: 1, status5xx: 501 });
  const before = statuses.length;
  try {
    await client.listProjects();
    assert.unreachable('501 must not be retried');
  } catch (e) {
    assert.is((e as CodeEngineApiError).status, 501);
    assert.is(statuses.length - before, 1, 'exactly one attempt');
    assert.match((e as CodeEngineApiError).toDiagnostic().detail ?? '', /retry later/);
  } finally {
    emu.setFaults({ rate5xx: 0, status5xx: 503 });
  }
});

test('5xx after the write landed: create checks by name instead of creating twice', async () => {
  emu.setFaults({ rate5xxAfterWrite: 0.5 });
  const names = Array.from({ length: 20 }, (_, i) => `lost-${i}`);
  const results = await Promise.all(names.map((n) => project.apps.create(app(n))));
  const secrets = await Promise.all(
    names.map((n) => project.secrets.create({ name: `sec-${n}`, format: 'generic', data: { a: 'b' } })),
  );
  emu.setFaults({ rate5xxAfterWrite: 0 });
  assert.ok(emu.stats.faultsInjected['5xxAfterWrite'] > 0, 'responses were lost');
  const recovered =
    results.filter((r) => r.outcome === 'recovered').length + secrets.filter((r) => r.outcome === 'recovered').length;
  assert.ok(recovered > 0, 'some creates were recovered by looking them up');
  assert.ok(
    [...results, ...secrets].every((r) => r.outcome !== 'existing'),
    'our own landed writes are never reported as pre-existing',
  );
  const apps = (await project.apps.list()).filter((a) => a.name.startsWith('lost-'));
  assert.is(apps.length, 20);
  for (const a of apps)
    assert.is(a.status_details.latest_created_revision, `${a.name}-00001`, 'each app created once: one revision');
  assert.is(emu.stats.byStatus['409'] ?? 0, 0, 'never re-POSTed a create that had landed');
  emu.setFaults({ rate5xxAfterWrite: 0.5 });
  const deleted = await Promise.all(names.map((n) => project.apps.delete(n)));
  emu.setFaults({ rate5xxAfterWrite: 0 });
  assert.ok(deleted.every((d) => typeof d === 'boolean'));
  assert.is(
    (await project.apps.list()).filter((a) => a.name.startsWith('lost-')).length,
    0,
    'deletes converge despite lost responses',
  );
});

test('connection reset after the write: creates recover by name, patches converge', async () => {
  emu.setFaults({ rateResetAfterWrite: 0.5 });
  const names = Array.from({ length: 12 }, (_, i) => `reset-${i}`);
  const results = await Promise.all(names.map((n) => project.apps.create(app(n))));
  const patched = await Promise.all(
    names.map((n) =>
      project.apps.patchWithRetryOn412(n, (cur) => (cur.scale_max_instances === 4 ? null : { scale_max_instances: 4 })),
    ),
  );
  emu.setFaults({ rateResetAfterWrite: 0 });
  assert.ok(emu.stats.faultsInjected.resetAfterWrite > 0, 'connections were reset');
  assert.ok(statuses.includes(0), 'the client saw transport failures');
  assert.ok(results.some((r) => r.outcome === 'recovered'));
  // (A 409 may appear here: in realistic mode a PATCH re-sent after a reset meets a stale tag.)
  assert.ok(
    results.every((r) => r.outcome !== 'existing'),
    'no create was re-sent after it landed',
  );
  for (const n of names) {
    const { value } = await project.apps.get(n);
    assert.is(value.scale_max_instances, 4);
    assert.is(value.status_details.latest_created_revision, `${n}-00002`, 'created once, patched once');
  }
  assert.ok(patched.length === 12);
  for (const n of names) await project.apps.delete(n);
});

test('a request slower than timeoutMs is a transport error (status 0), retried within bounds', async () => {
  const impatient = new CodeEngineClient({
    apiKey: 'resilience-key',
    region: 'us-south',
    serviceUrl: emu.url,
    iamUrl: emu.iamUrl,
    maxRetries: 1,
    retryBaseMs: 1,
    timeoutMs: 1_000,
  });
  // The token is fetched while the emulator answers at once. On a starved machine even that can
  // take longer than the timeout, so it is asked until one answer arrives in time (bounded).
  for (let i = 1; ; i++) {
    try {
      await impatient.listProjects();
      break;
    } catch (e) {
      if (i >= 20 || (e as CodeEngineApiError).networkCode !== 'ETIMEDOUT') throw e;
    }
  }
  // Six times the timeout: no answer can arrive before the client gives up, however slow the machine.
  emu.setFaults({ latencyMs: 6_000 });
  try {
    await impatient.listProjects();
    assert.unreachable('must time out');
  } catch (e) {
    assert.instance(e, CodeEngineApiError);
    assert.is((e as CodeEngineApiError).status, 0);
    assert.is((e as CodeEngineApiError).networkCode, 'ETIMEDOUT');
    assert.is((e as CodeEngineApiError).toDiagnostic().code, 'ce.unreachable');
  } finally {
    emu.setFaults({ latencyMs: 0 });
    await impatient.close();
  }
});

test('build run create after a lost response is not started twice', async () => {
  await project.builds.create({
    name: 'b1',
    output_image: 'icr.io/ns/b1:1',
    output_secret: 'ce-auto-icr-private-us-south',
    strategy_type: 'dockerfile',
    source_url: 'https://example.com/r.git',
  });
  emu.setFaults({ rate5xxAfterWrite: 1 });
  // Every write "fails", but the run landed; the client finds it by its generated name.
  const run = await project.buildRuns.create({ build_name: 'b1' });
  emu.setFaults({ rate5xxAfterWrite: 0 });
  assert.is(run.outcome, 'recovered');
  assert.is((await project.buildRuns.listByBuild('b1')).length, 1);
});

test('retries are bounded: a permanent 503 ends in a typed error', async () => {
  emu.setFaults({ rate5xx: 1 });
  const before = statuses.length;
  try {
    await client.listProjects();
    assert.unreachable('must give up');
  } catch (e) {
    assert.is((e as CodeEngineApiError).status, 503);
    assert.is(statuses.length - before, 11, '1 try + maxRetries 10');
    assert.is((e as CodeEngineApiError).toDiagnostic().code, 'ce.server-error');
  }
});

test.run();
