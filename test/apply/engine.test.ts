// Engine unit tests against InMemoryTestBackend (a fake, named as such): ordering, bounded
// parallelism, retries, timeouts, approvals, partial failure and convergence, zero writes on
// a no-change apply. Real-backend behaviour is covered by test/e2e/engine-docker.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyPlan } from '../../src/apply/engine.js';
import { planStack } from '../../src/plan/stack.js';
import { walkGraph } from '../../src/apply/walk.js';
import type { StateStore } from '../../src/state/store.js';
import { openTestStore } from '../support/stores.js';
import { buildConfig, runtime, ECHO_ENTRY } from '../plan/config-builder.js';
import { InMemoryTestBackend } from './in-memory-backend.js';
import type { LoadedConfig } from '../../src/config/model.js';

/** A fresh store of the suite's kind (SQLite; PostgreSQL in engine.postgres.test.ts). */
const store = (): Promise<StateStore> => openTestStore();

const LIB = { ...ECHO_ENTRY, slug: 'lib', source: { type: 'docker' as const, image: 'node:20' } };

function config(
  names: string[],
  deps: Record<string, string[]> = {},
  extra: Partial<Parameters<typeof runtime>[0]> = {},
): LoadedConfig {
  return buildConfig({
    backends: { mem: { type: 'docker' } },
    catalog: [LIB],
    runtimes: names.map((n) => runtime({ name: n, catalog: 'lib', backend: 'mem', depends_on: deps[n], ...extra })),
  });
}

async function planAndApply(
  cfg: LoadedConfig,
  backend: InMemoryTestBackend,
  s: StateStore,
  opts: Partial<Parameters<typeof applyPlan>[0]> = {},
) {
  const p = await planStack({ config: cfg, backends: { mem: backend }, store: s });
  assert.equal(
    p.diags.filter((d) => d.severity === 'error'),
    [],
  );
  const lines: string[] = [];
  const r = await applyPlan({
    plan: p.plan!,
    backends: { mem: backend },
    store: s,
    onProgress: (l) => lines.push(l),
    retry: { baseDelayMs: 5 },
    ...opts,
  });
  return { plan: p.plan!, result: r, lines };
}

test('walkGraph respects order and the parallelism bound, and skips dependents of failures', async () => {
  let running = 0;
  let peak = 0;
  const done: string[] = [];
  const nodes = [
    { id: 'a', after: [] },
    { id: 'b', after: ['a'] },
    { id: 'c', after: ['b'] },
    ...Array.from({ length: 8 }, (_, i) => ({ id: `p${i}`, after: [] })),
    { id: 'x', after: ['bad'] },
    { id: 'bad', after: [] },
    { id: 'y', after: ['x'] },
  ];
  const skipped: string[] = [];
  const st = await walkGraph(nodes, {
    parallelism: 3,
    run: async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 10));
      running -= 1;
      done.push(n.id);
      return n.id !== 'bad';
    },
    onSkip: (n, by) => skipped.push(`${n.id}<${by}`),
  });
  assert.is(peak, 3);
  assert.ok(done.indexOf('a') < done.indexOf('b') && done.indexOf('b') < done.indexOf('c'));
  assert.equal(skipped.sort(), ['x<bad', 'y<x']);
  assert.is(st.get('bad'), 'failed');
  const cyc = await walkGraph(
    [
      { id: 'm', after: ['n'] },
      { id: 'n', after: ['m'] },
    ],
    { parallelism: 2, run: async () => true },
  );
  assert.equal([...cyc.values()], ['skipped', 'skipped']);
});

test('walkGraph: a node that released its slot lets the next start, and its dependents still wait for it', async () => {
  const events: string[] = [];
  let finishWait: () => void = () => undefined;
  // Also ends after 2 s, so that a walker ignoring release fails the order check instead of hanging.
  const waited = new Promise<void>((r) => {
    finishWait = r;
    setTimeout(r, 2000).unref();
  });
  const st = await walkGraph(
    [
      { id: 'a', after: [] },
      { id: 'b', after: [] },
      { id: 'c', after: ['a'] },
    ],
    {
      parallelism: 1,
      run: async (n, release) => {
        events.push(`start ${n.id}`);
        if (n.id === 'a') {
          release();
          await waited;
        }
        if (n.id === 'b') finishWait();
        await new Promise((r) => setTimeout(r, 5));
        events.push(`end ${n.id}`);
        return true;
      },
    },
  );
  // With parallelism 1, b could only start before a ended because a released its slot.
  assert.ok(events.indexOf('start b') < events.indexOf('end a'), events.join(', '));
  assert.ok(events.indexOf('start c') > events.indexOf('end a'), events.join(', '));
  assert.equal([...st.values()].sort(), ['ok', 'ok', 'ok']);
});

test('apply creates in dependency order within the parallelism bound, then a re-plan is all noop with zero writes', async () => {
  const b = new InMemoryTestBackend();
  const s = await store();
  const names = Array.from({ length: 12 }, (_, i) => `r${String(i).padStart(2, '0')}`);
  for (const n of names) b.behaviour.set(`runtime.${n}`, { delayMs: 20 });
  const cfg = config(names, { r01: ['r00'], r02: ['r01'] });
  const { result, lines } = await planAndApply(cfg, b, s, { parallelism: 4 });
  assert.is(result.exitCode, 0);
  assert.is(b.maxInFlight, 4);
  assert.ok(b.order.indexOf('create:runtime.r00') < b.order.indexOf('create:runtime.r01'));
  assert.ok(b.order.indexOf('create:runtime.r01') < b.order.indexOf('create:runtime.r02'));
  assert.ok(lines.includes('runtime.r00: Creating...'));
  assert.ok(
    lines.some((l) => /^runtime\.r00: Creation complete after \d+\.\ds$/.test(l)),
    lines.join('\n'),
  );
  assert.ok(lines.some((l) => /^runtime\.r00: working \[\d+\.\ds\]$/.test(l)));
  assert.is(s.listRuntimes('demo').length, 12);
  assert.is(s.listEvents('demo', { type: 'apply.created' }).length, 12);
  const calls = b.calls.length;
  const again = await planAndApply(cfg, b, s);
  assert.equal(again.plan.summary, { create: 0, update: 0, replace: 0, delete: 0, noop: 12 });
  assert.is(again.result.writeCalls, 0);
  assert.is(b.calls.length, calls, 'no backend write on a no-change apply');
});

test('deletes run in reverse dependency order', async () => {
  const b = new InMemoryTestBackend();
  const s = await store();
  await planAndApply(config(['a', 'b', 'c'], { b: ['a'], c: ['b'] }), b, s);
  b.order.length = 0;
  const { result } = await planAndApply(config([]), b, s);
  assert.is(result.exitCode, 0);
  assert.equal(b.order, ['delete:runtime.c', 'delete:runtime.b', 'delete:runtime.a']);
  assert.equal(s.listRuntimes('demo'), []);
});

test('transient failures are retried with a bound; permanent ones fail, skip dependents, and re-apply converges', async () => {
  const b = new InMemoryTestBackend();
  const s = await store();
  b.behaviour.set('runtime.a', { transientFailures: 2 });
  b.behaviour.set('runtime.b', { fail: true });
  b.behaviour.set('runtime.d', { transientFailures: 5 });
  const cfg = config(['a', 'b', 'c', 'd'], { c: ['b'] });
  const { result, lines } = await planAndApply(cfg, b, s, { retry: { attempts: 3, baseDelayMs: 5 } });
  assert.is(result.exitCode, 1);
  assert.is(result.outcome, 'partial');
  const by = Object.fromEntries(result.results.map((r) => [r.address, `${r.status}/${r.attempts}`]));
  assert.equal(by, {
    'runtime.a': 'created/3',
    'runtime.b': 'failed/1',
    'runtime.c': 'skipped/0',
    'runtime.d': 'failed/3',
  });
  assert.ok(lines.some((l) => l.startsWith('runtime.a: transient failure (daemon busy); retry 1')));
  assert.ok(result.diags.some((d) => d.code === 'apply.skipped' && d.summary.includes('runtime.b did not apply')));
  // State is true: only a is recorded.
  assert.equal(
    s.listRuntimes('demo').map((r) => r.address),
    ['runtime.a'],
  );
  // Fix the failures; the next apply converges and touches only what is missing.
  b.behaviour.clear();
  const again = await planAndApply(cfg, b, s);
  assert.is(again.result.exitCode, 0);
  assert.equal(again.plan.summary, { create: 3, update: 0, replace: 0, delete: 0, noop: 1 });
  assert.equal(s.listRuntimes('demo').length, 4);
});

test('a per-action timeout fails the action even when the backend ignores the abort', async () => {
  const b = new InMemoryTestBackend();
  const s = await store();
  // Both applies last until the test lets go; only the polite one listens to the abort.
  let letGo = (): void => undefined;
  const until = new Promise<void>((r) => (letGo = r));
  // An engine that waited for the backend would return only then: after 60 s, and fail below.
  const bound = setTimeout(() => letGo(), 60_000);
  b.behaviour.set('runtime.slow', { until, ignoreAbort: true });
  b.behaviour.set('runtime.polite', { until });
  try {
    const { result } = await planAndApply(config(['slow', 'polite']), b, s, { actionTimeoutMs: 100 });
    assert.ok(b.inFlight >= 1, 'the engine returned while the slow apply was still running');
    assert.equal(b.order, [], 'neither apply got past its wait');
    assert.is(result.exitCode, 1);
    assert.is(result.diags.filter((d) => d.code === 'apply.timeout').length, 2);
  } finally {
    clearTimeout(bound);
    letGo();
  }
});

test('changes needing approval are held (exit 3) unless --approved-by satisfies them; dependents wait', async () => {
  const b = new InMemoryTestBackend();
  const s = await store();
  const cfg = config(['free', 'gated', 'after'], { after: ['gated'] });
  cfg.approval = {
    enabled: true,
    required_for: [{ registry_not_in: ['docker.io/mcp'] }],
    approvers: ['security-team'],
  };
  // Everything is from docker.io/library: each change needs approval.
  const { result } = await planAndApply(cfg, b, s);
  assert.is(result.exitCode, 3);
  assert.equal(result.held.sort(), ['runtime.after', 'runtime.free', 'runtime.gated']);
  assert.is(b.calls.length, 0);
  assert.ok(s.listEvents('demo', { type: 'approval.held' }).length === 3);
  const wrong = await planAndApply(cfg, b, s, { approvedBy: ['someone-else'] });
  assert.is(wrong.result.exitCode, 3);
  const ok = await planAndApply(cfg, b, s, { approvedBy: ['security-team'] });
  assert.is(ok.result.exitCode, 0);
  assert.is(s.listRuntimes('demo').length, 3);
  assert.ok(s.listEvents('demo', { type: 'approval.approved' }).length === 3);
});

test('a run killed before its state write is repaired by the next plan without touching the backend', async () => {
  const b = new InMemoryTestBackend();
  const s = await store();
  await planAndApply(config(['a', 'b']), b, s);
  // Simulate a kill after the backend created b but before state recorded it.
  s.deleteRuntime('demo', 'runtime.b');
  const calls = b.calls.length;
  const again = await planAndApply(config(['a', 'b']), b, s);
  assert.equal(again.plan.summary.noop, 2);
  assert.is(b.calls.length, calls);
  assert.is(
    s.getRuntime('demo', 'runtime.b')?.specHash,
    again.plan.changes[1].desired!.specHash,
    'the noop refreshed state',
  );
});

test('in-place updates, drift repair, and forget of vanished unconfigured entries', async () => {
  const b = new InMemoryTestBackend();
  const s = await store();
  await planAndApply(config(['a', 'b']), b, s);
  const scaled = await planAndApply(config(['a', 'b'], {}, { scale: { min: 2 } }), b, s);
  assert.equal(scaled.plan.summary.update, 2);
  b.resources.get('runtime.a')!.status = 'exited';
  b.resources.delete('runtime.b');
  const drift = await planAndApply(config(['a', 'b'], {}, { scale: { min: 2 } }), b, s);
  assert.equal(
    drift.plan.changes.map((c) => c.reason),
    ['replace:drift-stopped', 'create:drift-missing'],
  );
  assert.ok(s.listEvents('demo', { type: 'drift.repaired' }).length === 2);
  b.resources.delete('runtime.b');
  const gone = await planAndApply(config(['a'], {}, { scale: { min: 2 } }), b, s);
  assert.equal(gone.plan.forget, ['runtime.b']);
  assert.equal(
    s.listRuntimes('demo').map((r) => r.address),
    ['runtime.a'],
  );
});

test('an unreachable backend is a plan diagnostic, not a throw', async () => {
  const b = new InMemoryTestBackend();
  b.observe = async () => ({
    diags: [{ severity: 'error', code: 'docker.unreachable', summary: 'the Docker daemon does not answer' }],
  });
  const p = await planStack({ config: config(['a']), backends: { mem: b }, store: await store() });
  assert.is(p.plan, undefined);
  assert.ok(p.diags.some((d) => d.code === 'docker.unreachable'));
});

test('a runtime moved to another backend is deleted there and created here, in one replace', async () => {
  const m1 = new InMemoryTestBackend('mem');
  const m2 = new InMemoryTestBackend('mem2');
  const s = await store();
  const cfg = (backend: string): LoadedConfig =>
    buildConfig({
      backends: { mem: { type: 'docker' }, mem2: { type: 'docker' } },
      catalog: [LIB],
      runtimes: [runtime({ name: 'mover', catalog: 'lib', backend })],
    });
  const backends = { mem: m1, mem2: m2 };
  const p1 = await planStack({ config: cfg('mem'), backends, store: s });
  assert.is((await applyPlan({ plan: p1.plan!, backends, store: s })).exitCode, 0);
  const p2 = await planStack({ config: cfg('mem2'), backends, store: s });
  assert.equal(
    p2.plan!.changes.map((c) => c.reason),
    ['replace:backend-changed'],
  );
  assert.is((await applyPlan({ plan: p2.plan!, backends, store: s })).exitCode, 0);
  assert.equal([...m1.resources.keys()], []);
  assert.equal([...m2.resources.keys()], ['runtime.mover']);
  assert.is(s.getRuntime('demo', 'runtime.mover')!.backend, 'mem2');
  const p3 = await planStack({ config: cfg('mem2'), backends, store: s });
  assert.equal(p3.plan!.summary.noop, 1);
});

test('a change that waits on a held change is held too (exit 3), not failed', async () => {
  const b = new InMemoryTestBackend();
  const s = await store();
  const cfg = buildConfig({
    backends: { mem: { type: 'docker' } },
    catalog: [LIB, { ...LIB, slug: 'gh', source: { type: 'docker', image: 'ghcr.io/acme/srv:1' } }],
    runtimes: [
      runtime({ name: 'gated', catalog: 'gh', backend: 'mem' }),
      runtime({ name: 'after', catalog: 'lib', backend: 'mem', depends_on: ['gated'] }),
      runtime({ name: 'free', catalog: 'lib', backend: 'mem' }),
    ],
  });
  cfg.approval = {
    enabled: true,
    required_for: [{ registry_not_in: ['docker.io/library'] }],
    approvers: ['security-team'],
  };
  const { result } = await planAndApply(cfg, b, s);
  assert.is(result.exitCode, 3, JSON.stringify(result.diags));
  assert.equal(result.held.sort(), ['runtime.after', 'runtime.gated']);
  assert.equal(b.order, ['create:runtime.free']);
});

test.run();
