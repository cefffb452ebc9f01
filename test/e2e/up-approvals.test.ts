// `up` runs the approval workflow like `watch` (issue 20): through the real CLI on the real
// Docker engine, an approval-gated runtime (its catalog entry requires approval) is held while
// the rest is applied and served; a pending request is created once and POSTed to a local
// webhook; `contextforge approvals approve` makes the running `up` re-plan at once, apply the
// held runtime and serve it (a call through the gateway reaches it); the next plan is a no-op
// and the audit log holds every step.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { runCli, stackYaml, startCli, until, type Child, gatewayUrl } from '../watch/support.js';

const STACK = uniqueName('cfupapr');
const dir = mkdtempSync(join(tmpdir(), 'cf-up-approvals-'));
const file = join(dir, 'contextforge.yaml');
const token = randomBytes(16).toString('hex');
let dockerOk = false;
let up: Child | undefined;
let client: Client | undefined;
let hook: { server: Server; url: string; bodies: Record<string, unknown>[] } | undefined;

async function running(name: string): Promise<boolean> {
  const list = await docker().listContainers({
    filters: JSON.stringify({ label: [`dev.contextforge.stack=${STACK}`], name: [`cf-${STACK}-${name}`] }),
  });
  return list.some((c) => c.Names.includes(`/cf-${STACK}-${name}`) && c.State === 'running');
}

async function connect(url: string): Promise<Client> {
  const c = new Client({ name: 'up-approvals', version: '0' });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  return c;
}

const text = (r: Record<string, unknown>): string => (r.content as Array<{ text?: string }>)[0]?.text ?? '';

test.before(async () => {
  dockerOk = await requireDocker('up approvals e2e');
  if (!dockerOk) return;
  await ensureFixtureImages();
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/approvals`, bodies };
});

test.after(async () => {
  await client?.close().catch(() => undefined);
  if (up && up.proc.exitCode === null) {
    up.proc.kill('SIGKILL');
    await up.done;
  }
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  if (hook) await new Promise<void>((r) => hook!.server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

test('up: a held change becomes a request and a webhook; approve → up applies and serves it', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  const approval = [
    'enabled: true',
    'approvers:',
    '  - group: security-team',
    'timeout_hours: 1',
    'notification:',
    `  webhook_url: ${hook!.url}`,
  ];
  // risky: its catalog entry (vetted) requires approval.
  writeFileSync(
    file,
    stackYaml({ stack: STACK, runtimes: [{ name: 'plain' }, { name: 'risky', catalog: 'vetted' }], approval }),
  );
  up = startCli(['up', '-f', file, '--port', '0'], { cwd: dir, env: { CONTEXTFORGE_GATEWAY_TOKEN: token } });
  const held = await up.waitFor(/runtime\.risky: needs approval \([^)]*\); pending request apr-[0-9a-f]{8}/, 240_000);
  const id = /apr-[0-9a-f]{8}/.exec(held)![0];
  const url = await gatewayUrl(up);
  await up.waitFor(/Watching .* for changes/, 60_000);
  assert.ok(await running('plain'), 'the runtime that needs no approval was applied');
  assert.not.ok(await running('risky'), 'the approval-gated runtime was held');

  // The webhook carries the request.
  const body = await until(async () => hook!.bodies.find((b) => b.id === id), 60_000, 'the webhook');
  assert.is(body.event, 'approval.requested');
  assert.is(body.address, 'runtime.risky');
  assert.is(body.stack, STACK);
  assert.match(String((body.commands as Record<string, unknown>).approve), new RegExp(`approvals approve ${id}`));
  let r = await runCli(['approvals', 'list', '--all', '--json', '-f', file]);
  assert.is(r.code, 0, r.err);
  const requests = JSON.parse(r.out) as { id: string; status: string; address: string }[];
  assert.equal(
    requests.map((a) => [a.id, a.status, a.address]),
    [[id, 'pending', 'runtime.risky']],
  );

  // The gateway serves plain, not risky.
  client = await connect(url);
  let names = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('plain__echo'), names.join(', '));
  assert.not.ok(
    names.some((n) => n.startsWith('risky__')),
    names.join(', '),
  );
  await client.close();
  client = undefined;

  // Approve: the running `up` re-plans at once, applies risky and serves it.
  const mark = up.mark();
  r = await runCli(['approvals', 'approve', id, '--by', 'security-team', '-f', file]);
  assert.is(r.code, 0, r.out + r.err);
  await up.waitFor(/An approval was decided: re-planning/, 120_000, mark);
  await up.waitFor(/Apply complete!/, 240_000, mark);
  await up.waitFor(/risky: connected/, 120_000, mark);
  assert.ok(await running('risky'), 'risky runs once approved');
  client = await connect(url);
  names = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('risky__echo'), names.join(', '));
  assert.is(text(await client.callTool({ name: 'risky__echo', arguments: { message: 'approved' } })), 'Echo: approved');
  await client.close();
  client = undefined;

  // Converged: nothing left to do, the request is applied, the audit log holds each step.
  r = await runCli(['plan', '-f', file, '--detailed-exitcode']);
  assert.is(r.code, 0, r.out + r.err);
  r = await runCli(['events', '-f', file, '--type', 'approval.*', '--json']);
  const events = JSON.parse(r.out) as { type: string; address?: string; actor?: string }[];
  const has = (type: string): boolean => events.some((e) => e.type === type && e.address === 'runtime.risky');
  for (const type of ['approval.requested', 'approval.notified', 'approval.approved', 'approval.applied'])
    assert.ok(has(type), `${type} in ${events.map((e) => e.type).join(', ')}`);

  up.proc.kill('SIGINT');
  assert.is(await up.done, 0, up.out() + up.err());
  up = undefined;
});

test.run();
