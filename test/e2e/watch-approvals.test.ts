// The approval workflow end to end against the real Docker engine and a real HTTP webhook:
// in CI, `apply` holds an approval-needing runtime (exit 3) while the rest applies, and
// CONTEXTFORGE_APPROVED_BY / --approved-by let it through; on a watching host, a pending request
// is created and POSTed to a local webhook (retried after a 500), `approvals approve` lets it
// through on the next pass, `approvals reject --reason` blocks another for good, and the audit
// log (`events`) holds every step.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { runCli, sleep, stackYaml, startCli, until, type Child, type RuntimeDef } from '../watch/support.js';

const CI_STACK = uniqueName('cfappci');
const W_STACK = uniqueName('cfappw');
const dir = mkdtempSync(join(tmpdir(), 'cf-approvals-e2e-'));
const ciFile = join(dir, 'ci', 'contextforge.yaml');
const wFile = join(dir, 'watch', 'contextforge.yaml');
let dockerOk = false;
let watch: Child | undefined;
let hook: { server: Server; url: string; bodies: Record<string, unknown>[]; hits: number } | undefined;

async function running(stack: string, name: string): Promise<{ id: string; env: string[] } | undefined> {
  const list = await docker().listContainers({
    filters: JSON.stringify({ label: [`dev.contextforge.stack=${stack}`], name: [`cf-${stack}-${name}`] }),
  });
  const c = list.find((x) => x.Names.includes(`/cf-${stack}-${name}`) && x.State === 'running');
  if (!c) return undefined;
  const info = await docker().getContainer(c.Id).inspect();
  return { id: c.Id, env: info.Config.Env ?? [] };
}

function writeStack(file: string, stack: string, runtimes: RuntimeDef[], approval: string[]): void {
  writeFileSync(file, stackYaml({ stack, runtimes, approval }), { flag: 'w' });
}

test.before(async () => {
  dockerOk = await requireDocker('approvals e2e');
  if (!dockerOk) return;
  await ensureFixtureImages();
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'ci'));
  mkdirSync(join(dir, 'watch'));
  const bodies: Record<string, unknown>[] = [];
  const state = { hits: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      state.hits += 1;
      // The first delivery fails: the notifier must retry.
      if (state.hits === 1) return void res.writeHead(500).end('try again');
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  hook = {
    server,
    url: `http://127.0.0.1:${port}/approvals`,
    bodies,
    get hits() {
      return state.hits;
    },
  } as typeof hook;
});

test.after(async () => {
  if (watch && watch.proc.exitCode === null) {
    watch.proc.kill('SIGKILL');
    await watch.done;
  }
  if (dockerOk) {
    await removeByLabel({ 'dev.contextforge.stack': CI_STACK });
    await removeByLabel({ 'dev.contextforge.stack': W_STACK });
  }
  if (hook) await new Promise<void>((r) => hook!.server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const CI_APPROVAL = [
  'enabled: true',
  'required_for:',
  '  - guardrails_profile: wide-open',
  'approvers:',
  '  - group: security-team',
];

test('CI: apply holds the approval-needing runtime (exit 3) and applies the rest; approvers let it through', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  writeStack(ciFile, CI_STACK, [{ name: 'plain' }, { name: 'risky', profile: 'wide-open' }], CI_APPROVAL);
  let r = await runCli(['apply', '-f', ciFile, '--auto-approve']);
  assert.is(r.code, 3, r.out + r.err);
  assert.match(r.out, /runtime\.risky: held for approval \(guardrails_profile is wide-open\)/);
  assert.match(r.out, /1 change\(s\) held for approval: runtime\.risky/);
  assert.match(r.out, /Approvers: security-team/);
  assert.ok(await running(CI_STACK, 'plain'), 'plain was applied');
  assert.not.ok(await running(CI_STACK, 'risky'), 'risky was held');

  // The CI job's environment variable (set from the pull request's reviewers).
  r = await runCli(['apply', '-f', ciFile, '--auto-approve'], { env: { CONTEXTFORGE_APPROVED_BY: 'someone-else' } });
  assert.is(r.code, 3, 'an approver no rule names does not count');
  r = await runCli(['apply', '-f', ciFile, '--auto-approve'], {
    env: { CONTEXTFORGE_APPROVED_BY: 'dev@example.com,security-team' },
  });
  assert.is(r.code, 0, r.out + r.err);
  assert.ok(await running(CI_STACK, 'risky'), 'risky applied once approved');

  // A change to it needs approval again; the markdown plan (PR comment) says so.
  writeStack(
    ciFile,
    CI_STACK,
    [{ name: 'plain' }, { name: 'risky', profile: 'wide-open', env: { MODE: 'v2' } }],
    CI_APPROVAL,
  );
  r = await runCli(['plan', '-f', ciFile, '--format', 'markdown']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /\| *Action *\|/i, 'a summary table');
  assert.match(r.out, /runtime\.risky/);
  assert.match(r.out, /needs approval/);
  assert.match(r.out, /#### Approvals[\s\S]*runtime\.risky[\s\S]*security-team/);
  r = await runCli(['apply', '-f', ciFile, '--auto-approve', '--approved-by', 'someone-else']);
  assert.is(r.code, 3);
  r = await runCli(['apply', '-f', ciFile, '--auto-approve', '--approved-by', 'security-team']);
  assert.is(r.code, 0, r.out + r.err);
  assert.ok((await running(CI_STACK, 'risky'))?.env.includes('MODE=v2'));
  r = await runCli(['events', '-f', ciFile, '--type', 'approval.*', '--json']);
  const types = (JSON.parse(r.out) as { type: string }[]).map((e) => e.type);
  assert.ok(types.includes('approval.held') && types.includes('approval.approved'), types.join(','));
  r = await runCli(['destroy', '-f', ciFile, '--auto-approve']);
  assert.is(r.code, 0, r.out + r.err);
});

test('watch: pending request, webhook, approve → applied on the next pass; reject → never applied; all in the audit log', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  const approval = [
    'enabled: true',
    'required_for:',
    '  - guardrails_profile: wide-open',
    'approvers:',
    '  - group: security-team',
    'timeout_hours: 1',
    'notification:',
    `  webhook_url: ${hook!.url}`,
  ];
  // risky: catalog entry requires_approval; risky2 (added later): the wide-open rule.
  writeStack(wFile, W_STACK, [{ name: 'plain' }, { name: 'risky', catalog: 'vetted' }], approval);
  watch = startCli(['watch', '-f', wFile, '--interval', '2s']);
  await watch.waitFor(/Watching \d+ file\(s\)/, 180_000);
  const idLine = await watch.waitFor(
    /runtime\.risky: needs approval \([^)]*\); pending request apr-[0-9a-f]{8}/,
    10_000,
  );
  const id = /apr-[0-9a-f]{8}/.exec(idLine)![0];
  assert.ok(await running(W_STACK, 'plain'), 'the other runtime was applied');
  assert.not.ok(await running(W_STACK, 'risky'));

  // The webhook arrives (after one retried 500) with what a reviewer needs.
  const body = await until(async () => hook!.bodies.find((b) => b.id === id), 30_000, 'the webhook');
  assert.ok(hook!.hits >= 2, 'the first 500 was retried');
  assert.is(body.event, 'approval.requested');
  assert.is(body.address, 'runtime.risky');
  assert.is(body.stack, W_STACK);
  assert.equal((body.source as Record<string, unknown>).type, 'docker');
  assert.match(String((body.source as Record<string, unknown>).image), /contextforge-fixture\/everything/);
  assert.is((body.catalog as Record<string, unknown>).slug, 'vetted');
  assert.ok((body.guardrails as Record<string, unknown>).profile === 'open');
  assert.ok((body.resources as Record<string, unknown>).maxPids === 200);
  assert.equal(body.approvers, [['security-team']]);
  assert.match(String((body.commands as Record<string, unknown>).approve), new RegExp(`approvals approve ${id}`));

  // Listed; several drift passes later still exactly one request and still held.
  let r = await runCli(['approvals', 'list', '-f', wFile]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`${id}\\s+pending\\s+runtime\\.risky`));
  r = await runCli(['approvals', 'show', id, '-f', wFile]);
  assert.match(r.out, /Source: +type: docker, image: contextforge-fixture\/everything:latest/);
  await sleep(5000);
  r = await runCli(['approvals', 'list', '--all', '--json', '-f', wFile]);
  assert.is((JSON.parse(r.out) as unknown[]).length, 1, 'no duplicate request');
  assert.not.ok(await running(W_STACK, 'risky'));

  // Somebody who is not an approver cannot decide it.
  r = await runCli(['approvals', 'approve', id, '--by', 'mallory', '-f', wFile]);
  assert.is(r.code, 1);
  assert.match(r.err, /error\[approval\.not-an-approver\]/);

  // Approve: the watching host applies it on its next pass.
  let mark = watch.mark();
  r = await runCli(['approvals', 'approve', id, '--by', 'security-team', '-f', wFile]);
  assert.is(r.code, 0, r.err);
  await watch.waitFor(/Apply complete!/, 180_000, mark);
  assert.ok(await until(() => running(W_STACK, 'risky'), 30_000, 'risky running'));

  // Add risky2 under the wide-open rule, then reject it.
  mark = watch.mark();
  writeStack(
    wFile,
    W_STACK,
    [{ name: 'plain' }, { name: 'risky', catalog: 'vetted' }, { name: 'risky2', profile: 'wide-open' }],
    approval,
  );
  const line2 = await watch.waitFor(
    /runtime\.risky2: needs approval \(guardrails_profile is wide-open\); pending request apr-[0-9a-f]{8}/,
    60_000,
    mark,
  );
  const id2 = /apr-[0-9a-f]{8}/.exec(line2)![0];
  await until(async () => hook!.bodies.find((b) => b.id === id2), 30_000, 'the second webhook');
  r = await runCli(['approvals', 'reject', id2, '--by', 'security-team', '-f', wFile]);
  assert.is(r.code, 1, 'reject needs a reason');
  r = await runCli(['approvals', 'reject', id2, '--by', 'security-team', '--reason', 'egress too wide', '-f', wFile]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /Rejected .*egress too wide/);
  await sleep(6000);
  assert.not.ok(await running(W_STACK, 'risky2'), 'a rejected change is not applied');
  r = await runCli(['approvals', 'list', '--all', '--json', '-f', wFile]);
  const all = JSON.parse(r.out) as { id: string; address: string; status: string; note?: string }[];
  assert.equal(all.map((a) => [a.address, a.status]).sort(), [
    ['runtime.risky', 'approved'],
    ['runtime.risky2', 'rejected'],
  ]);

  // The audit log holds all of it.
  r = await runCli(['events', '-f', wFile, '--type', 'approval.*', '--json']);
  const events = JSON.parse(r.out) as {
    type: string;
    address?: string;
    actor?: string;
    data?: Record<string, unknown>;
  }[];
  const has = (type: string, address: string): boolean => events.some((e) => e.type === type && e.address === address);
  assert.ok(has('approval.requested', 'runtime.risky') && has('approval.requested', 'runtime.risky2'));
  assert.ok(has('approval.notified', 'runtime.risky'));
  assert.ok(events.some((e) => e.type === 'approval.approved' && e.actor === 'security-team' && e.data?.id === id));
  assert.ok(has('approval.applied', 'runtime.risky'));
  assert.ok(
    events.some((e) => e.type === 'approval.rejected' && e.data?.reason === 'egress too wide' && e.data?.id === id2),
  );
  r = await runCli(['events', '-f', wFile, '--type', 'approval.*']);
  assert.match(r.out, /approval\.rejected +runtime\.risky2 +egress too wide +\(security-team\)/);

  watch.proc.kill('SIGINT');
  assert.is(await watch.done, 0, watch.out() + watch.err());
  watch = undefined;
});

test.run();
