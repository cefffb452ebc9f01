// The Code Engine backend under a hostile API: 30 % of calls answered 429 or 5xx (some 5xx after
// the write happened, some connections reset after the write), and a 412 race on a patch. Apply
// must converge with exactly the apps of the config (no duplicates, no strays), and a 412 must be
// resolved by re-reading, not by failing or overwriting blindly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../../src/emulators/code-engine/index.js';
import { appName, secretName, stackPrefix } from '../../../src/backends/code-engine/index.js';
import { CeStack, rawApi, type RuntimeDef } from './backend-support.js';

let emu: CodeEngineEmulator;
let pid = '';
const SECRET = `fault-secret-${randomBytes(6).toString('hex')}`;

test.before(async () => {
  // Realistic mode (the default): secret lists without data, asynchronous deletes, revisions
  // after the write answers, probe defaults on read, 409 for a stale tag.
  emu = await startCodeEngineEmulator({
    timing: { appReadyDelayMs: 50, deleteDelayMs: 400, revisionLagMs: 100 },
    seed: 42,
    log: () => undefined,
  });
  pid = emu.projects[0].id;
});
test.after(async () => {
  await emu.close();
});

async function ourApps(stack: string): Promise<string[]> {
  emu.setFaults({ rate429: 0, rate5xx: 0, rate5xxAfterWrite: 0, rateResetAfterWrite: 0 });
  const r = await rawApi(emu, 'GET', `/projects/${pid}/apps?limit=100`);
  return (r.body as { apps: Array<{ name: string }> }).apps
    .map((a) => a.name)
    .filter((n) => n.startsWith(stackPrefix(stack)))
    .sort();
}

/** Exactly one app per runtime, each created once (one revision), one secret per secret runtime. */
async function assertNoDuplicates(stack: string, runtimes: RuntimeDef[]): Promise<void> {
  emu.setFaults({ rate429: 0, rate5xx: 0, rate5xxAfterWrite: 0, rateResetAfterWrite: 0 });
  const apps = (
    (await rawApi(emu, 'GET', `/projects/${pid}/apps?limit=100`)).body as {
      apps: Array<{ name: string; status_details: { latest_created_revision?: string } }>;
    }
  ).apps.filter((a) => a.name.startsWith(stackPrefix(stack)));
  assert.equal(apps.map((a) => a.name).sort(), runtimes.map((r) => appName(stack, r.name)).sort());
  for (const a of apps)
    assert.is(a.status_details.latest_created_revision, `${a.name}-00001`, `${a.name}: one revision, no re-write`);
  const secrets = (
    (await rawApi(emu, 'GET', `/projects/${pid}/secrets?limit=100`)).body as { secrets: Array<{ name: string }> }
  ).secrets.filter((x) => x.name.startsWith(stackPrefix(stack)));
  assert.equal(
    secrets.map((x) => x.name).sort(),
    runtimes
      .filter((r) => r.secrets)
      .map((r) => secretName(stack, r.name))
      .sort(),
  );
}

const STORM = {
  rate429: 0.15,
  rate5xx: 0.08,
  rate5xxAfterWrite: 0.05,
  rateResetAfterWrite: 0.02,
  retryAfterSeconds: 0,
};

test('apply converges under 30 % 429/5xx with no duplicate or stray apps', async () => {
  const runtimes: RuntimeDef[] = Array.from({ length: 12 }, (_, i) => ({
    name: `svc${i}`,
    env: { N: String(i) },
    ...(i % 2 ? { secrets: { API_TOKEN: SECRET } } : {}),
  }));
  const s = new CeStack({ emu, runtimes });
  try {
    await s.load();
    emu.setFaults(STORM);
    // One plan and one apply converge: the client retries 429/5xx (resolving ambiguous writes by
    // name), the engine retries what stays retryable.
    const plan = await s.plan();
    assert.ok(plan.plan, JSON.stringify(plan.diags));
    const applied = await s.apply(plan);
    assert.is(applied.exitCode, 0, JSON.stringify(applied.diags));
    const f = emu.stats.faultsInjected;
    assert.ok(f['429'] > 0 && f['5xx'] + f['5xxAfterWrite'] > 0, JSON.stringify(f));
    const injected = f['429'] + f['5xx'] + f['5xxAfterWrite'] + f.resetAfterWrite;
    assert.ok(injected / emu.stats.total > 0.1, `${injected} of ${emu.stats.total} calls faulted`);
    const names = await ourApps(s.stack);
    assert.equal(names, runtimes.map((r) => appName(s.stack, r.name)).sort(), 'exactly one app per runtime');
    const p = await s.plan();
    assert.ok(p.plan);
    assert.equal(
      p.plan!.summary,
      { create: 0, update: 0, replace: 0, delete: 0, noop: 12 },
      JSON.stringify(p.plan!.changes.filter((c) => c.action !== 'noop').map((c) => [c.address, c.reason, c.fields])),
    );
    const sec = await rawApi(emu, 'GET', `/projects/${pid}/secrets/${secretName(s.stack, 'svc1')}`);
    assert.is((sec.body as { data: Record<string, string> }).data.API_TOKEN, SECRET);
    await assertNoDuplicates(s.stack, runtimes);

    // Destroy under the same storm also converges in one run.
    emu.setFaults(STORM);
    const d = await s.plan(true);
    assert.ok(d.plan, JSON.stringify(d.diags));
    const destroyed = await s.apply(d);
    assert.is(destroyed.exitCode, 0, JSON.stringify(destroyed.diags));
    assert.equal(await ourApps(s.stack), []);
    const secrets = (
      (await rawApi(emu, 'GET', `/projects/${pid}/secrets`)).body as { secrets: Array<{ name: string }> }
    ).secrets.map((x) => x.name);
    assert.not.ok(
      secrets.some((n) => n.startsWith(stackPrefix(s.stack))),
      secrets.join(','),
    );

    // Destroy then an immediate apply, still under the storm: in realistic mode the deleted apps
    // linger (asynchronous delete), so this converges only because destroy waited for them.
    emu.setFaults(STORM);
    const again = await s.apply(await s.plan());
    assert.is(again.exitCode, 0, JSON.stringify(again.diags));
    await assertNoDuplicates(s.stack, runtimes);
    emu.setFaults(STORM);
    assert.is((await s.apply(await s.plan(true))).exitCode, 0);
    assert.equal(await ourApps(s.stack), []);
  } finally {
    emu.setFaults({ rate429: 0, rate5xx: 0, rate5xxAfterWrite: 0, rateResetAfterWrite: 0 });
    await s.close();
  }
});

test('a 412 race on the patch is resolved by re-reading and re-diffing', async () => {
  const s = new CeStack({ emu, runtimes: [{ name: 'raced', scale: { max: 4 } }] });
  try {
    await s.load();
    assert.is((await s.apply(await s.plan())).exitCode, 0);
    await s.load([{ name: 'raced', scale: { max: 6 }, env: { MODE: 'fast' } }]);
    const p = await s.plan();
    assert.is(p.plan!.changes[0].action, 'update');
    emu.setFaults({ race412Once: true });
    const before = emu.stats.faultsInjected['412Race'];
    // The stale-tag status: 409 Conflict in realistic mode (Kubernetes), 412 in strict-client mode.
    const stale = emu.behaviour === 'realistic' ? '409' : '412';
    const patches412 = emu.stats.byStatus[stale] ?? 0;
    const a = await s.apply(p);
    assert.is(a.exitCode, 0, JSON.stringify(a.diags));
    assert.is(emu.stats.faultsInjected['412Race'], before + 1, 'the race happened');
    assert.is((emu.stats.byStatus[stale] ?? 0) - patches412, 1, `one ${stale}, then success after a re-read`);
    assert.is(a.results[0].attempts, 1, 'resolved inside the backend, not by an engine retry');
    const app = (await rawApi(emu, 'GET', `/projects/${pid}/apps/${appName(s.stack, 'raced')}`)).body as {
      scale_max_instances: number;
      run_env_variables: Array<{ name: string; value?: string }>;
    };
    assert.is(app.scale_max_instances, 6);
    assert.ok(app.run_env_variables.some((e) => e.name === 'MODE' && e.value === 'fast'));
    assert.is((await s.plan()).plan!.summary.noop, 1);
    await s.apply(await s.plan(true));
  } finally {
    await s.close();
  }
});

test.run();
