// The shared backend contract suite: every Backend implementation runs it (Docker, Code Engine
// against its emulator, process). It drives a backend directly (no engine) through the
// lifecycle the engine relies on, and skips checks by capability with the reason printed.
//
//   create → observe finds it with its spec hash → plan is noop → change → plan shows
//   update/replace → apply → delete → observe empty; idempotent re-apply and re-delete; plan
//   is pure (first call on a fresh backend, and shuffled among validate/observe calls);
//   foreign resources (without our marks) never listed nor touched; two stacks never see
//   each other.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { notApplicable as notApplicableTest, skip as skipTest } from '../../support/skip.js';
import type { ApplyContext, ApplyOutcome, Backend } from '../../../src/backends/backend.js';
import type { BackendCapabilities } from '../../../src/model/capabilities.js';
import type { Change, DesiredResource, ObservedResource } from '../../../src/model/resources.js';

export interface ContractHarness {
  /** Suite title, e.g. `docker`. */
  name: string;
  /** Resolves false (after printing why) when the platform is not reachable: everything skips. */
  available?: () => Promise<boolean>;
  makeBackend(): Backend | Promise<Backend>;
  /**
   * A desired resource of `runtime` in `stack` on this backend. `variant` 0 is the base; any other
   * value must differ in one managed field (an env value, say) so that plan shows a change.
   */
  makeDesired(input: { stack: string; runtime: string; variant?: number }): DesiredResource;
  /** A fresh stack name unique to this run. */
  uniqueStack(): string;
  /** Removes whatever a stack left behind (by its marks), after each test. */
  cleanupStack(stack: string): Promise<void>;
  /**
   * Creates a resource on the platform WITHOUT our marks, named like one of ours would be in
   * `stack`; returns whether it still exists and a remover. Absent: the foreign check skips.
   */
  makeForeign?(input: {
    stack: string;
    runtime: string;
  }): Promise<{ exists(): Promise<boolean>; remove(): Promise<void> }>;
  /** Per-apply timeout for the suite (health waits can be slow); default 120 s. */
  applyTimeoutMs?: number;
  /** Capability overrides (default: the backend's describe()). */
  capabilities?: Partial<BackendCapabilities>;
}

function ctx(stack: string, timeoutMs: number): ApplyContext & { lines: string[] } {
  const lines: string[] = [];
  return { stack, signal: AbortSignal.timeout(timeoutMs), progress: (m: string) => lines.push(m), lines };
}

async function observeOk(b: Backend, stack: string): Promise<ObservedResource[]> {
  const r = await b.observe(stack);
  assert.equal(
    r.diags.filter((d) => d.severity === 'error'),
    [],
    'observe reported errors',
  );
  assert.ok(r.value, 'observe returned a value');
  return r.value!.filter((o) => o.status !== 'missing');
}

function applyOk(outcome: ApplyOutcome, what: string, allowed: ApplyOutcome['status'][]): void {
  assert.ok(
    allowed.includes(outcome.status),
    `${what}: status ${outcome.status} (${outcome.diags.map((d) => d.summary).join('; ')})`,
  );
}

export function runContractSuite(h: ContractHarness): void {
  const s = suite(`backend contract: ${h.name}`);
  const timeout = h.applyTimeoutMs ?? 120_000;
  let enabled = true;
  let backend: Backend;
  const stacks: string[] = [];
  const newStack = (): string => {
    const st = h.uniqueStack();
    stacks.push(st);
    return st;
  };
  const skip = (why: string): void => skipTest(`${h.name}: ${why}`);
  const notApplicable = (why: string): void => notApplicableTest(`${h.name}: ${why}`);

  s.before(async () => {
    enabled = h.available ? await h.available() : true;
    if (enabled) backend = await h.makeBackend();
  });
  s.after.each(async () => {
    if (!enabled) return;
    for (const st of stacks.splice(0)) await h.cleanupStack(st);
  });
  s.after(async () => {
    if (enabled) await backend.close?.();
  });

  s('describe names its kind and capabilities; validate accepts a valid desired resource', () => {
    if (!enabled) return skip('platform unavailable');
    const d = backend.describe();
    assert.ok(['docker', 'ibm_code_engine', 'process'].includes(d.kind));
    assert.type(d.capabilities.supports_logs, 'boolean');
    const desired = h.makeDesired({ stack: 'contract-validate', runtime: 'one' });
    assert.equal(
      backend.validate([desired]).filter((x) => x.severity === 'error'),
      [],
    );
  });

  s('create → observe finds it with its spec hash → plan is noop; re-apply is idempotent', async () => {
    if (!enabled) return skip('platform unavailable');
    const stack = newStack();
    const d = h.makeDesired({ stack, runtime: 'one' });
    assert.equal(await observeOk(backend, stack), [], 'a new stack starts empty');
    const create = backend.plan(d, undefined);
    assert.is(create.action, 'create');
    assert.match(create.reason, /^create:/);
    applyOk(await backend.apply(create, ctx(stack, timeout)), 'create', ['created']);
    const seen = await observeOk(backend, stack);
    assert.is(seen.length, 1, 'exactly one resource after create');
    assert.is(seen[0].address, d.address);
    assert.is(seen[0].specHash, d.specHash, 'observe reports the spec hash it was created with');
    const again = backend.plan(d, seen[0]);
    assert.is(again.action, 'noop', `plan after create: ${again.reason} ${JSON.stringify(again.fields)}`);
    // Applying the same create again (a re-run after a crash) must not duplicate it.
    applyOk(await backend.apply(create, ctx(stack, timeout)), 'repeated create', ['created', 'unchanged', 'updated']);
    assert.is((await observeOk(backend, stack)).length, 1, 'still exactly one resource');
  });

  s('a change plans as update or replace, applies, and then plans as noop', async () => {
    if (!enabled) return skip('platform unavailable');
    const stack = newStack();
    const d0 = h.makeDesired({ stack, runtime: 'one' });
    applyOk(await backend.apply(backend.plan(d0, undefined), ctx(stack, timeout)), 'create', ['created']);
    const d1 = h.makeDesired({ stack, runtime: 'one', variant: 1 });
    assert.is.not(d1.specHash, d0.specHash, 'the harness variant changes the spec');
    const [o0] = await observeOk(backend, stack);
    const change = backend.plan(d1, o0);
    assert.ok(
      change.action === 'update' || change.action === 'replace',
      `expected update/replace, got ${change.action}`,
    );
    assert.ok(change.fields.length > 0, 'the change names the fields that moved');
    applyOk(await backend.apply(change, ctx(stack, timeout)), change.action, ['updated', 'created']);
    const [o1] = await observeOk(backend, stack);
    assert.is(o1.specHash, d1.specHash);
    assert.is(backend.plan(d1, o1).action, 'noop');
  });

  s('delete → observe empty; a repeated delete is harmless', async () => {
    if (!enabled) return skip('platform unavailable');
    const stack = newStack();
    const d = h.makeDesired({ stack, runtime: 'one' });
    applyOk(await backend.apply(backend.plan(d, undefined), ctx(stack, timeout)), 'create', ['created']);
    const [o] = await observeOk(backend, stack);
    const del = backend.plan(undefined, o);
    assert.is(del.action, 'delete');
    assert.is(del.reason, 'delete:not-in-config');
    applyOk(await backend.apply(del, ctx(stack, timeout)), 'delete', ['deleted']);
    assert.equal(await observeOk(backend, stack), []);
    applyOk(await backend.apply(del, ctx(stack, timeout)), 'repeated delete', ['deleted', 'unchanged']);
  });

  s(
    'plan is pure: called on a fresh backend before validate and observe, and in shuffled order with them, it answers the same',
    async () => {
      if (!enabled) return skip('platform unavailable');
      const stack = newStack();
      const d0 = h.makeDesired({ stack, runtime: 'one' });
      const d1 = h.makeDesired({ stack, runtime: 'one', variant: 1 });
      // First calls on a fresh instance: plan before anything else was ever called on it.
      const fresh = await h.makeBackend();
      const firstCreate = fresh.plan(d0, undefined);
      assert.is(firstCreate.action, 'create', `plan on a fresh backend: ${firstCreate.reason}`);
      applyOk(await backend.apply(backend.plan(d0, undefined), ctx(stack, timeout)), 'create', ['created']);
      const [o0] = await observeOk(backend, stack);
      const cases: [DesiredResource | undefined, ObservedResource | undefined][] = [
        [d0, undefined],
        [d1, undefined],
        [d0, o0],
        [d1, o0],
        [undefined, o0],
      ];
      const answer = (c: Change): unknown => ({ action: c.action, reason: c.reason, fields: c.fields, steps: c.steps });
      const expected = cases.map(([d, o]) => answer(fresh.plan(d, o)));
      assert.equal(expected[0], answer(firstCreate));
      assert.equal(
        (expected as { action: string }[]).map((e) => e.action).filter((a, i) => i !== 3),
        ['create', 'create', 'noop', 'delete'],
      );
      assert.ok(
        ['update', 'replace'].includes((expected[3] as { action: string }).action),
        'the variant plans as update or replace',
      );
      // Shuffled, with validate and observe interleaved at random points (seed printed for replay).
      const seed = Number(process.env.CF_CONTRACT_SEED ?? Date.now() % 100_000);
      let state = seed;
      const random = (): number => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
      const other = await h.makeBackend();
      try {
        for (let round = 0; round < 3; round++) {
          const order = cases.map((_, i) => i).sort(() => random() - 0.5);
          for (const i of order) {
            if (random() < 0.3) other.validate([d1]);
            if (random() < 0.3) await other.observe(stack, random() < 0.5 ? [d1] : []);
            const [d, o] = cases[i];
            assert.equal(
              answer(other.plan(d, o)),
              expected[i],
              `case ${i} in round ${round} (CF_CONTRACT_SEED=${seed})`,
            );
          }
        }
      } finally {
        await other.close?.();
        await fresh.close?.();
      }
    },
  );

  s('two stacks on one platform never see each other', async () => {
    if (!enabled) return skip('platform unavailable');
    const a = newStack();
    const b = newStack();
    for (const st of [a, b])
      applyOk(
        await backend.apply(backend.plan(h.makeDesired({ stack: st, runtime: 'same' }), undefined), ctx(st, timeout)),
        `create in ${st}`,
        ['created'],
      );
    const seenA = await observeOk(backend, a);
    const seenB = await observeOk(backend, b);
    assert.is(seenA.length, 1);
    assert.is(seenB.length, 1);
    // Deleting A's resource leaves B's alone.
    applyOk(await backend.apply(backend.plan(undefined, seenA[0]), ctx(a, timeout)), 'delete in a', ['deleted']);
    assert.equal(await observeOk(backend, a), []);
    assert.is((await observeOk(backend, b)).length, 1, "stack b's resource survived stack a's delete");
  });

  s('foreign resources (without our marks) are never listed nor touched', async () => {
    if (!enabled) return skip('platform unavailable');
    if (!h.makeForeign) return notApplicable('the harness cannot create foreign resources on this platform');
    const stack = newStack();
    const foreign = await h.makeForeign({ stack, runtime: 'intruder' });
    try {
      const d = h.makeDesired({ stack, runtime: 'one' });
      applyOk(await backend.apply(backend.plan(d, undefined), ctx(stack, timeout)), 'create', ['created']);
      const seen = await observeOk(backend, stack);
      assert.equal(
        seen.map((o) => o.address),
        [d.address],
        'only our resource is observed',
      );
      applyOk(await backend.apply(backend.plan(undefined, seen[0]), ctx(stack, timeout)), 'delete', ['deleted']);
      assert.ok(await foreign.exists(), 'the foreign resource still exists');
    } finally {
      await foreign.remove();
    }
  });

  s('logs of a live resource can be read (capability supports_logs)', async () => {
    if (!enabled) return skip('platform unavailable');
    const caps = { ...backend.describe().capabilities, ...(h.capabilities ?? {}) };
    if (!caps.supports_logs || !backend.logs) return notApplicable('supports_logs is false: the backend keeps no logs');
    const stack = newStack();
    const d = h.makeDesired({ stack, runtime: 'one' });
    applyOk(await backend.apply(backend.plan(d, undefined), ctx(stack, timeout)), 'create', ['created']);
    const [o] = await observeOk(backend, stack);
    const lines: string[] = [];
    for await (const line of backend.logs(o, { tail: 20, signal: AbortSignal.timeout(10_000) })) lines.push(line);
    assert.ok(Array.isArray(lines));
    for (const secret of Object.values(d.secretEnv))
      assert.not.ok(lines.join('\n').includes(secret), 'a log line carried a secret');
  });

  s.run();
}

/** Convenience for harnesses: the change that would create `d`. */
export function createChange(b: Backend, d: DesiredResource): Change {
  return b.plan(d, undefined);
}
