// The approval workflow on a real store (SQLite; PostgreSQL in workflow.postgres.test.ts) with plans from the real compiler and
// diff: one pending record per (address, spec hash), the request a reviewer sees (no secrets),
// decisions with approver checks and audit events, expiry, and no re-request after a rejection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decide } from '../../src/approvals/decide.js';
import { expireApprovals, syncApprovals } from '../../src/approvals/workflow.js';
import type { LoadedConfig } from '../../src/config/model.js';
import { compileDesired } from '../../src/plan/desired.js';
import { diffPlan } from '../../src/plan/diff.js';
import { makeRedactor } from '../../src/plan/redact.js';
import { defaultResourcePlan } from '../../src/model/resource-plan.js';
import type { Plan } from '../../src/model/resources.js';
import type { StateStore } from '../../src/state/store.js';
import { openTestStore } from '../support/stores.js';
import { buildConfig, ECHO_ENTRY, runtime, TEST_SECRET } from '../plan/config-builder.js';
import { recordFrom } from '../plan/plan-scenario.js';

const planner = { plan: defaultResourcePlan };

function setup(
  env: Record<string, string> = {},
  withPlain = true,
): { config: LoadedConfig; plan: (store: StateStore, at?: string) => Plan } {
  const config = buildConfig({
    approval: {
      enabled: true,
      required_for: [{ guardrails_profile: 'restricted' }],
      approvers: [{ group: 'security-team' }],
      timeout_hours: 2,
      notification: { webhook_url: 'http://127.0.0.1:9/hook' },
    },
    catalog: [ECHO_ENTRY],
    runtimes: [
      ...(withPlain ? [runtime({ name: 'plain', catalog: 'echo', backend: 'local' })] : []),
      runtime({
        name: 'risky',
        catalog: 'echo',
        backend: 'local',
        guardrails_profile: 'restricted',
        env,
        secrets: { API_TOKEN: TEST_SECRET },
      }),
    ],
  });
  const desired = compileDesired(config).value!;
  return {
    config,
    plan: (store, at = new Date().toISOString()) =>
      diffPlan({
        stack: 'demo',
        desired,
        observed: [],
        state: [],
        backends: { local: planner },
        configFingerprint: 'x',
        createdAt: at,
        approvals: store.listApprovals('demo', 'approved'),
      }),
  };
}

const redact = makeRedactor(new Set([TEST_SECRET]));

test('a held change becomes one pending request with what a reviewer needs and no secret', async () => {
  const store = await openTestStore();
  const { config, plan } = setup();
  const p = plan(store);
  const r = syncApprovals({ plan: p, config, store, redact });
  assert.is(r.created.length, 1);
  assert.is(r.onlyHeld, false, 'plain is not held');
  const rec = r.created[0];
  assert.is(rec.address, 'runtime.risky');
  assert.is(rec.status, 'pending');
  assert.match(rec.id, /^apr-[0-9a-f]{8}$/);
  assert.equal(rec.approvers, [['security-team']]);
  assert.equal(rec.reasons, ['guardrails_profile is restricted']);
  const hours = (Date.parse(rec.expiresAt) - Date.parse(rec.requestedAt)) / 3600_000;
  assert.is(hours, 2);
  const req = rec.request as {
    source: unknown;
    guardrails: { profile: string; egressAllowed: boolean };
    resources: { maxPids: number };
    catalog: { slug: string };
    commands: { approve: string };
  };
  assert.equal(req.source, {
    type: 'docker',
    image: 'contextforge-fixture/everything:latest',
    pull: 'missing',
    args: ['streamableHttp'],
  });
  assert.is(req.guardrails.profile, 'restricted');
  assert.is(req.guardrails.egressAllowed, false);
  assert.is(req.resources.maxPids, 64);
  assert.is(req.catalog.slug, 'echo');
  assert.match(req.commands.approve, new RegExp(`approvals approve ${rec.id} --by`));
  assert.not.ok(JSON.stringify(store.listApprovals('demo')).includes(TEST_SECRET));
  const ev = store.listEvents('demo', { type: 'approval.requested' });
  assert.is(ev.length, 1);
  assert.is(ev[0].data?.id, rec.id);

  // The same spec again: no second request.
  const again = syncApprovals({ plan: plan(store), config, store, redact });
  assert.is(again.created.length, 0);
  assert.is(again.held[0].record?.id, rec.id);
  assert.is(store.listApprovals('demo').length, 1);
  store.close();
});

test('decisions: approver check, reason on reject, audit events; approved satisfies the plan; rejected is not re-requested', async () => {
  const store = await openTestStore();
  const { config, plan } = setup();
  const rec = syncApprovals({ plan: plan(store), config, store, redact }).created[0];

  let d = decide({ store, stack: 'demo', id: rec.id, decision: 'approved', by: ['mallory'] });
  assert.is(d.diags[0]?.code, 'approval.not-an-approver');
  d = decide({ store, stack: 'demo', id: rec.id, decision: 'rejected', by: ['security-team'] });
  assert.is(d.diags[0]?.code, 'approval.reason-required');
  d = decide({ store, stack: 'demo', id: 'apr-00000000', decision: 'approved', by: ['security-team'] });
  assert.is(d.diags[0]?.code, 'approval.not-found');

  d = decide({ store, stack: 'demo', id: rec.id, decision: 'rejected', by: ['security-team'], reason: 'runs as root' });
  assert.is(d.value?.status, 'rejected');
  assert.is(d.value?.note, 'runs as root');
  const rej = store.listEvents('demo', { type: 'approval.rejected' });
  assert.is(rej.length, 1);
  assert.is(rej[0].actor, 'security-team');
  assert.is(rej[0].data?.reason, 'runs as root');
  d = decide({ store, stack: 'demo', id: rec.id, decision: 'approved', by: ['security-team'] });
  assert.is(d.diags[0]?.code, 'approval.already-decided');

  // Still held, and not requested again for this spec hash.
  const p = plan(store);
  assert.is(p.changes.find((c) => c.address === 'runtime.risky')?.needsApproval, true);
  const s = syncApprovals({ plan: p, config, store, redact });
  assert.is(s.created.length, 0);
  assert.is(s.held[0].record?.status, 'rejected');

  // A new spec (env changed) is a new request; approving it lets the plan through.
  const next = setup({ MODE: 'safe' });
  const rec2 = syncApprovals({ plan: next.plan(store), config: next.config, store, redact }).created[0];
  assert.ok(rec2 && rec2.id !== rec.id);
  d = decide({ store, stack: 'demo', id: rec2.id, decision: 'approved', by: ['security-team'] });
  assert.is(d.value?.decidedBy, 'security-team');
  assert.is(next.plan(store).changes.find((c) => c.address === 'runtime.risky')?.needsApproval, false);
  assert.is(store.listEvents('demo', { type: 'approval.approved' }).length, 1);
  store.close();
});

test('pending requests expire; expired ones are not re-requested; a plan of only held changes says so', async () => {
  const store = await openTestStore();
  const { config, plan } = setup({}, false);
  const past = new Date(Date.now() - 3 * 3600_000);
  const r = syncApprovals({ plan: plan(store), config, store, redact, now: past });
  assert.is(r.onlyHeld, true);
  const expired = expireApprovals(store, 'demo');
  assert.equal(
    expired.map((e) => e.id),
    [r.created[0].id],
  );
  assert.is(store.getApproval(r.created[0].id)?.status, 'expired');
  assert.is(store.listEvents('demo', { type: 'approval.expired' }).length, 1);
  const again = syncApprovals({ plan: plan(store), config, store, redact });
  assert.is(again.created.length, 0);
  assert.is(again.held[0].record?.status, 'expired');
  assert.is(
    decide({ store, stack: 'demo', id: r.created[0].id, decision: 'approved', by: ['security-team'] }).diags[0]?.code,
    'approval.already-decided',
  );
  store.close();
});

test('an approval outlives the request deadline; repairing drift of an applied spec needs none', () => {
  const { config } = setup({}, false);
  const d = compileDesired(config).value![0];
  const base = {
    stack: 'demo',
    desired: [d],
    observed: [],
    backends: { local: planner },
    configFingerprint: 'x',
    createdAt: new Date().toISOString(),
  };
  const approved = {
    id: 'apr-1',
    stack: 'demo',
    address: d.address,
    specHash: d.specHash,
    status: 'approved' as const,
    reasons: [],
    approvers: [],
    request: {},
    requestedAt: '2020-01-01T00:00:00Z',
    expiresAt: '2020-01-03T00:00:00Z',
  };
  assert.is(
    diffPlan({ ...base, state: [], approvals: [approved] }).changes[0].needsApproval,
    false,
    'decided approvals do not expire',
  );
  assert.is(
    diffPlan({ ...base, state: [], approvals: [{ ...approved, status: 'expired' }] }).changes[0].needsApproval,
    true,
  );
  const rec = recordFrom(d);
  const repair = diffPlan({ ...base, state: [rec], approvals: [] }).changes[0];
  assert.is(repair.reason, 'create:drift-missing');
  assert.ok(repair.approval, 'the requirement is still shown');
  assert.is(repair.needsApproval, false, 'a container removed by hand is recreated without a new approval');
  const changed = diffPlan({ ...base, state: [{ ...rec, specHash: 'sha256:older' }], approvals: [] }).changes[0];
  assert.is(changed.needsApproval, true, 'a new spec still needs approval');
});

test.run();
