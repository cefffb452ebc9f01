import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffFields } from '../../src/model/fields.js';
import { diffPlan, hasChanges, liveFingerprint } from '../../src/plan/diff.js';
import { defaultResourcePlan } from '../../src/model/resource-plan.js';
import { CREATED_AT, observedFrom, scenario } from './plan-scenario.js';
import { TEST_SECRET } from './config-builder.js';

test('diffFields: before → after per path, secrets sensitive without values', () => {
  const fields = diffFields(
    { env: { A: '1', B: '2' }, secretDigests: { TOKEN: 'sha256:new' }, source: { image: 'x:2' } },
    { env: { A: '1', C: '3' }, secretDigests: { TOKEN: 'sha256:old' }, source: { image: 'x:1' } },
  );
  assert.equal(fields, [
    { path: 'env.B', after: '2', forcesReplace: true },
    { path: 'env.C', before: '3', forcesReplace: true },
    { path: 'env.TOKEN', sensitive: true, before: '(sensitive)', after: '(sensitive)', forcesReplace: true },
    { path: 'source.image', before: 'x:1', after: 'x:2', forcesReplace: true },
  ]);
});

test('diffFields live-only scope ignores fields the backend does not read back', () => {
  const fields = diffFields(
    { env: { A: '1' }, guardrails: { maxPids: 10, readOnlyRoot: true } },
    { env: {}, guardrails: { maxPids: 20 } },
    { scope: 'live-only' },
  );
  assert.equal(
    fields.map((f) => f.path),
    ['env.A', 'guardrails.maxPids'],
  );
});

test('the scenario plan has one change per address with the expected actions and reasons', () => {
  const { plan } = scenario();
  const got = Object.fromEntries(plan.changes.map((c) => [c.address, c.reason]));
  assert.equal(got, {
    'runtime.alpha': 'create:new',
    'runtime.bravo': 'replace:env-changed',
    'runtime.charlie': 'create:drift-missing',
    'runtime.delta': 'noop:up-to-date',
    'runtime.echo': 'update:scale-changed',
    'runtime.foxtrot': 'noop:up-to-date',
    'runtime.golf': 'delete:not-in-config',
    'runtime.india': 'create:new',
    'runtime.juliet': 'create:new',
  });
  assert.equal(plan.forget, ['runtime.hotel']);
  assert.equal(plan.summary, { create: 4, update: 1, replace: 1, delete: 1, noop: 2 });
  assert.ok(hasChanges(plan));
  const charlie = plan.changes.find((c) => c.address === 'runtime.charlie')!;
  assert.equal(charlie.dependsOn, ['runtime.alpha']);
  const alpha = plan.changes.find((c) => c.address === 'runtime.alpha')!;
  assert.equal(alpha.approval, undefined, 'docker.io/library images need no approval');
  const foxtrot = plan.changes.find((c) => c.address === 'runtime.foxtrot')!;
  assert.equal(foxtrot.approval, undefined, 'noops never need approval');
  assert.not.ok(JSON.stringify(plan.changes.map((c) => c.fields)).includes(TEST_SECRET));
});

test('approval requirement is carried onto changes and satisfied by a recorded approval', () => {
  const { plan, desired } = scenario();
  const foxtrot = desired.find((d) => d.runtime === 'foxtrot')!;
  assert.ok(foxtrot.approval, 'the fixture image is not from docker.io/library');
  const planner = {
    plan: (d?: typeof foxtrot, o?: Parameters<typeof defaultResourcePlan>[1]) => defaultResourcePlan(d, o),
  };
  const base = {
    stack: 'demo',
    desired: [foxtrot],
    observed: [],
    state: [],
    backends: { local: planner },
    configFingerprint: 'x',
    createdAt: CREATED_AT,
  };
  const p1 = diffPlan(base);
  assert.is(p1.changes[0].needsApproval, true);
  const approved = {
    id: 'a1',
    stack: 'demo',
    address: foxtrot.address,
    specHash: foxtrot.specHash,
    status: 'approved' as const,
    reasons: [],
    approvers: [],
    request: {},
    requestedAt: CREATED_AT,
    expiresAt: '2099-01-01T00:00:00.000Z',
  };
  assert.is(diffPlan({ ...base, approvals: [approved] }).changes[0].needsApproval, false);
  assert.is(
    diffPlan({ ...base, approvals: [{ ...approved, specHash: 'sha256:other' }] }).changes[0].needsApproval,
    true,
  );
  assert.ok(plan);
});

test('drift: stopped → replace:drift-stopped, hand-edited → replace:drift-edited', () => {
  const { desired } = scenario();
  const d = desired[0];
  assert.is(defaultResourcePlan(d, observedFrom(d, { status: 'exited' })).reason, 'replace:drift-stopped');
  assert.is(
    defaultResourcePlan(d, observedFrom(d, { status: 'exited' }), { restartInPlace: true }).reason,
    'update:drift-stopped',
  );
  const edited = defaultResourcePlan(d, observedFrom(d, {}, { env: { LOG_LEVEL: 'trace' } }));
  assert.is(edited.reason, 'replace:drift-edited');
  assert.equal(
    edited.fields.map((f) => [f.path, f.before, f.after]),
    [['env.LOG_LEVEL', 'trace', 'info']],
  );
  assert.is(defaultResourcePlan(d, observedFrom(d)).action, 'noop');
});

test('targets keep the targeted address and its dependencies only', () => {
  const { desired } = scenario();
  const planner = {
    plan: (d?: (typeof desired)[number], o?: Parameters<typeof defaultResourcePlan>[1]) => defaultResourcePlan(d, o),
  };
  const p = diffPlan({
    stack: 'demo',
    desired,
    observed: [],
    state: [],
    backends: { local: planner, procs: planner },
    configFingerprint: 'x',
    createdAt: CREATED_AT,
    targets: ['runtime.charlie'],
  });
  assert.equal(
    p.changes.map((c) => c.address),
    ['runtime.alpha', 'runtime.charlie'],
  );
  assert.equal(p.targets, ['runtime.alpha', 'runtime.charlie']);
});

test('live fingerprint ignores order and starting/running flapping, follows hashes and status', () => {
  const { desired } = scenario();
  const a = observedFrom(desired[0]);
  const b = observedFrom(desired[1]);
  assert.is(liveFingerprint([a, b]), liveFingerprint([b, a]));
  assert.is(liveFingerprint([a]), liveFingerprint([{ ...a, status: 'starting' }]));
  assert.is.not(liveFingerprint([a]), liveFingerprint([{ ...a, status: 'exited' }]));
  assert.is.not(liveFingerprint([a]), liveFingerprint([{ ...a, specHash: 'sha256:x' }]));
});

test.run();
