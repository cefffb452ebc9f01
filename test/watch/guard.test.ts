// The delete gate of a watching host (`up`, `watch`; issue 20) on a real config file: a plan made
// from a version the file no longer holds is not applied; --no-prune drops the deletes and keeps
// the other changes (saying so once); more deletes than --max-deletes need --allow-mass-delete;
// deletes wait until the file has been quiet for --delete-quiet (asking for a pass then), are
// logged before they run and keep the data volumes; and the flags parse as `up`/`watch` take them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import type { LoadedConfig } from '../../src/config/index.js';
import type { Change, Plan } from '../../src/model/resources.js';
import type { PassContext } from '../../src/reconcile/pass.js';
import { summarize } from '../../src/plan/diff.js';
import { deleteGuard, DEFAULT_DELETE_QUIET_MS, DEFAULT_MAX_DELETES } from '../../src/watch/guard.js';
import { guardSettings } from '../../src/cli/host-flags.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-guard-'));
const file = join(dir, 'contextforge.yaml');

const change = (name: string, action: Change['action']): Change => ({
  address: `runtime.${name}`,
  action,
  reason: action === 'delete' ? 'delete:not-in-config' : 'create:new',
  backend: 'local',
  backendType: 'docker',
  fields: [],
  dependsOn: [],
  diagnostics: [],
});

async function loaded(text: string): Promise<LoadedConfig> {
  writeFileSync(file, text);
  const r = await loadConfig(file);
  assert.ok(r.value, JSON.stringify(r.diags));
  return r.value!;
}

/** The context a pass hands its gate; the gate reads the plan and the config it was made from. */
function context(config: LoadedConfig, changes: Change[]): PassContext {
  const plan = { stack: config.stack, changes, diagnostics: [], summary: summarize(changes) } as unknown as Plan;
  return { plan, config, desired: [], showPlan: () => undefined } as unknown as PassContext;
}

function guard(over: Partial<Parameters<typeof deleteGuard>[0]> = {}) {
  const said: string[] = [];
  const retries: number[] = [];
  const hook = deleteGuard({
    path: file,
    deleteQuietMs: 5_000,
    quietForMs: () => 60_000,
    prune: true,
    maxDeletes: 5,
    allowMassDelete: false,
    say: (l) => said.push(l),
    retryIn: (ms) => retries.push(ms),
    ...over,
  });
  return { hook, said, retries };
}

const deletes = (n: number): Change[] => Array.from({ length: n }, (_, i) => change(`old${i}`, 'delete'));

test('a plan of a version the file no longer holds is not applied', async () => {
  const config = await loaded('name: guard-a\n');
  writeFileSync(file, 'name: guard-a\ndescription: saved while the pass planned\n');
  const g = guard();
  assert.is(await g.hook(context(config, [change('x', 'create')])), 'skip');
  assert.match(g.said.join('\n'), /changed while this pass planned: nothing applied/);
});

test('no deletes: applied as planned', async () => {
  const config = await loaded('name: guard-b\n');
  const g = guard({ quietForMs: () => 0 });
  const ctx = context(config, [change('x', 'create')]);
  assert.is(await g.hook(ctx), 'apply');
  assert.is(ctx.plan.changes.length, 1);
  assert.equal(g.said, []);
});

test('--no-prune: deletes are dropped (said once), the other changes applied', async () => {
  const config = await loaded('name: guard-c\n');
  const g = guard({ prune: false });
  const ctx = context(config, [change('new', 'create'), ...deletes(2)]);
  assert.is(await g.hook(ctx), 'apply');
  assert.equal(
    ctx.plan.changes.map((c) => c.address),
    ['runtime.new'],
  );
  assert.is(ctx.plan.summary.delete, 0);
  assert.is(ctx.plan.summary.create, 1);
  assert.is(g.said.filter((l) => /^Kept runtime\.old\d: .*--no-prune/.test(l)).length, 2, g.said.join('\n'));
  // The next drift check plans the same deletes: not said again.
  const again = context(config, [...deletes(2)]);
  assert.is(await g.hook(again), 'apply');
  assert.equal(again.plan.changes, []);
  assert.is(g.said.length, 2);
});

test('more deletes than --max-deletes: nothing applied without --allow-mass-delete', async () => {
  const config = await loaded('name: guard-d\n');
  const g = guard({ maxDeletes: 5 });
  const ctx = context(config, deletes(6));
  assert.is(await g.hook(ctx), 'skip');
  assert.match(g.said.join('\n'), /would delete 6 runtimes .*more than --max-deletes 5: nothing applied/);
  assert.match(g.said.join('\n'), /--allow-mass-delete/);

  const allowed = guard({ maxDeletes: 5, allowMassDelete: true });
  const ctx2 = context(config, deletes(6));
  assert.is(await allowed.hook(ctx2), 'apply');
  assert.ok(
    ctx2.plan.changes.every((c) => c.keepVolumes === true),
    'deletes keep the data volumes',
  );
  assert.is(allowed.said.filter((l) => /^Deleting runtime\.old\d: .*data volumes are kept/.test(l)).length, 6);
});

test('deletes wait for --delete-quiet, then run logged and keeping volumes', async () => {
  const config = await loaded('name: guard-e\n');
  let quiet = 1_000;
  const g = guard({ deleteQuietMs: 5_000, quietForMs: () => quiet });
  const ctx = context(config, deletes(1));
  assert.is(await g.hook(ctx), 'skip');
  assert.match(g.said[0]!, /The plan deletes runtime\.old0: waiting until .* unchanged for 5s/);
  assert.equal(g.retries, [5_000 - 1_000 + 50], 'a pass is asked for when the file will have been quiet');
  quiet = 5_000;
  const later = context(config, deletes(1));
  assert.is(await g.hook(later), 'apply');
  assert.ok(later.plan.changes[0]!.keepVolumes);
  assert.match(g.said[1]!, /^Deleting runtime\.old0: not in the config, which has been unchanged for 5s/);
});

test('flags: defaults, --no-prune, --allow-mass-delete, --delete-quiet and a bad --max-deletes', () => {
  assert.equal(guardSettings({}), {
    deleteQuietMs: DEFAULT_DELETE_QUIET_MS,
    prune: true,
    maxDeletes: DEFAULT_MAX_DELETES,
    allowMassDelete: false,
  });
  assert.equal(guardSettings({ prune: false, allowMassDelete: true, deleteQuiet: '10s', maxDeletes: '2' }), {
    deleteQuietMs: 10_000,
    prune: false,
    maxDeletes: 2,
    allowMassDelete: true,
  });
  const bad = guardSettings({ maxDeletes: 'many' });
  assert.instance(bad, Error);
  assert.match((bad as Error).message, /--max-deletes many is not a whole number/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
