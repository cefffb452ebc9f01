// What matters for reachability is observed (issue 20): a runtime behind an edge sidecar
// (egress closed, port published by the sidecar on the stack network, the server on an internal
// network). `apply` is SIGKILLed at "creating edge sidecar"; then the sidecar is disconnected
// from the internal network by hand; then it is stopped by hand. Each time `plan` shows drift,
// `apply` repairs it and a call through the gateway (`serve`, following state) succeeds; the
// stopped sidecar makes `status` report the endpoint unreachable instead of "in sync".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages, EVERYTHING_IMAGE } from '../support/images.js';
import { runCli, startCli, type Child, connectWithStoredToken, gatewayUrl } from '../watch/support.js';
import { startCountingProxy, type CountingProxy } from '../watch/counting-proxy.js';

const STACK = uniqueName('cfedge');
const dir = mkdtempSync(join(tmpdir(), 'cf-edge-'));
const file = join(dir, 'contextforge.yaml');
const INTERNAL = `contextforge-${STACK}-inner-internal`;
let serve: Child | undefined;
let client: Client | undefined;
let dockerOk = false;
let proxy: CountingProxy | undefined;
/** Set when the proxy holds apply's connect of the sidecar to the internal network. */
let connectHeld: () => void = () => undefined;
let holding = true;

const config = (socket: string): string => `name: ${STACK}
backends:
  local: { type: docker, allow_local_images: true, socket: ${socket} }
profiles:
  sealed:
    network: { egress_allowed: false, ingress_ports: [3001] }
    resources: { max_memory: 256m, max_pids: 200 }
catalog:
  - name: Echo
    slug: echo
    source: { type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never }
    transport: { type: streamable-http, port: 3001, path: /mcp }
runtimes:
  - { name: inner, catalog: echo, backend: local, guardrails_profile: sealed }
`;

async function edge(): Promise<{ id: string; state: string; networks: string[] } | undefined> {
  const list = await docker().listContainers({
    all: true,
    filters: JSON.stringify({ label: [`dev.contextforge.stack=${STACK}`, 'dev.contextforge.role=edge'] }),
  });
  if (!list[0]) return undefined;
  return { id: list[0].Id, state: list[0].State, networks: Object.keys(list[0].NetworkSettings?.Networks ?? {}) };
}

const text = (r: Record<string, unknown>): string => (r.content as Array<{ text?: string }>)[0]?.text ?? '';

/** Calls echo through the gateway until it answers (serve follows state on its own schedule). */
async function echoThrough(timeoutMs = 90_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const r = await client!.callTool({ name: 'inner__echo', arguments: { message: 'through the edge' } });
      if (!r.isError) return text(r);
      last = text(r);
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > until) throw new Error(`inner__echo never answered through the gateway: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** plan shows drift (exit 2), apply repairs it (exit 0), and the plan after that is clean. */
async function driftRepaired(what: string, expect: RegExp): Promise<void> {
  const plan = await runCli(['plan', '-f', file, '--detailed-exitcode']);
  assert.is(plan.code, 2, `${what}: plan shows drift\n${plan.out}${plan.err}`);
  assert.match(plan.out, expect, `${what}: ${plan.out}`);
  const apply = await runCli(['apply', '-f', file, '--auto-approve']);
  assert.is(apply.code, 0, `${what}: apply repairs\n${apply.out}${apply.err}`);
  const after = await runCli(['plan', '-f', file, '--detailed-exitcode']);
  assert.is(after.code, 0, `${what}: nothing left to repair\n${after.out}`);
  const e = await edge();
  assert.ok(e && e.state === 'running' && e.networks.includes(INTERNAL), `${what}: ${JSON.stringify(e)}`);
}

test.before(async () => {
  dockerOk = await requireDocker('edge sidecar drift e2e');
  if (!dockerOk) return;
  await ensureFixtureImages();
  // Apply talks to the engine through a proxy that can hold one call: the sidecar's connect to
  // the internal network, so that apply dies with the sidecar created and never connected.
  proxy = await startCountingProxy(join(dir, 'docker.sock'), {
    hold: (method, url) => {
      if (!holding || method !== 'POST' || !url.includes(`/networks/${INTERNAL}/connect`)) return false;
      connectHeld();
      return true;
    },
  });
});

test.after(async () => {
  await client?.close().catch(() => undefined);
  if (serve && serve.proc.exitCode === null) {
    serve.proc.kill('SIGKILL');
    await serve.done;
  }
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a half-created, a disconnected and a stopped edge sidecar are drift; apply repairs; calls go through', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  writeFileSync(file, config(proxy!.socketPath));

  // 1. apply SIGKILLed with the sidecar created but not yet connected to the internal network.
  const apply = startCli(['apply', '-f', file, '--auto-approve']);
  const held = new Promise<void>((r) => (connectHeld = r));
  await apply.waitFor(/creating edge sidecar/, 180_000);
  await held;
  apply.proc.kill('SIGKILL');
  await apply.done;
  holding = false;
  const half = await edge();
  assert.ok(half && !half.networks.includes(INTERNAL) && half.state !== 'running', JSON.stringify(half));
  await driftRepaired('SIGKILL at creating edge sidecar', /edge sidecar not attached to .*-inner-internal/);

  serve = startCli(['serve', '-f', file, '--port', '0']);
  client = await connectWithStoredToken(await gatewayUrl(serve), dir, 'edge-drift');
  assert.is(await echoThrough(), 'Echo: through the edge');

  // 2. The sidecar disconnected from the internal network by hand.
  const e = await edge();
  await docker().getNetwork(INTERNAL).disconnect({ Container: e!.id, Force: true });
  await driftRepaired('hand-disconnected sidecar network', /edge sidecar not attached to .*-inner-internal/);
  assert.is(await echoThrough(), 'Echo: through the edge');

  // 3. The sidecar stopped by hand: the endpoint refuses connections; status says so.
  await docker()
    .getContainer((await edge())!.id)
    .stop({ t: 1 });
  const status = await runCli(['status', '-f', file]);
  assert.match(status.out, /inner .*unreachable \(ECONNREFUSED\).*unhealthy \(run plan\)/, status.out);
  assert.not.match(status.out, /in sync/);
  const json = await runCli(['status', '-f', file, '--json']);
  const row = (JSON.parse(json.out) as { runtimes: Array<{ runtime: string; inSync: boolean; health?: string }> })
    .runtimes[0];
  assert.equal([row.inSync, row.health], [false, 'unreachable (ECONNREFUSED)']);
  await driftRepaired('stopped sidecar', /runtime\.inner/);
  assert.is(await echoThrough(), 'Echo: through the edge');
});

test.run();
