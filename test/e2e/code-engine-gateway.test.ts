// The gateway deployed to Code Engine, end to end on the emulator's Docker mode: two upstream MCP
// servers applied by the backend at `project` visibility (no endpoint, no host port: reachable
// only inside the emulated project), and the gateway app of the same project (the image built
// from this package by scripts/code-engine-gateway-image.mjs) reaching them over Code Engine's
// internal DNS, its bearer token from a Code Engine secret. A client through the gateway app's
// endpoint lists and calls both upstreams' tools; without the token it gets 401; a plan after
// the gateway's deployment still sees only the two runtimes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../src/emulators/code-engine/index.js';
import { EMULATOR_LABEL } from '../../src/emulators/code-engine/docker-runtime.js';
import { appName } from '../../src/backends/code-engine/index.js';
import { deployGatewayApp, GATEWAY_RUNTIME } from '../../src/backends/code-engine/gateway-app.js';
import { secretName } from '../../src/backends/code-engine/names.js';
import { docker, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { EVERYTHING, ensureFixtureImages } from '../support/images.js';
import { connectStreamableHttp } from '../support/mcp.js';
import { CeStack, rawApi } from '../backends/code-engine/backend-support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IMAGE = `${uniqueName('cftest-gateway/ce')}:1`;
const TOKEN = `gw-${randomBytes(12).toString('hex')}`;
let enabled = false;
let emu: CodeEngineEmulator;

test.before(async () => {
  enabled = await requireDocker('gateway on code engine (emulator docker mode)');
  if (!enabled) return;
  await ensureFixtureImages();
  const built = spawnSync(process.execPath, [`${ROOT}scripts/code-engine-gateway-image.mjs`, IMAGE], {
    encoding: 'utf8',
  });
  assert.is(built.status, 0, built.stderr);
  emu = await startCodeEngineEmulator({ docker: true, log: () => undefined });
});

test.after(async () => {
  if (!enabled) return;
  await emu.close();
  await docker()
    .getImage(IMAGE)
    .remove({ force: true })
    .catch(() => undefined);
});

test('the gateway app serves two project-visible upstreams over internal DNS; they are not reachable from outside', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  assert.is(emu.behaviour, 'realistic');
  const s = new CeStack({
    emu,
    pollMs: 200,
    runtimes: [
      { name: 'one', visibility: 'project', scale: { min: 1 } },
      { name: 'two', visibility: 'project', scale: { min: 1 } },
    ],
  });
  const pid = emu.projects[0].id;
  try {
    await s.load();
    const plan = await s.plan();
    assert.not.ok(
      plan.diags.some((d) => d.code === 'ce.public-unprotected'),
      'project apps raise no exposure warning',
    );
    const applied = await s.apply(plan);
    assert.is(applied.exitCode, 0, JSON.stringify(applied.diags));

    // The upstreams: no endpoint, no published port; an internal URL only.
    const upstreams = [];
    for (const rt of ['one', 'two']) {
      const app = (await rawApi(emu, 'GET', `/projects/${pid}/apps/${appName(s.stack, rt)}`)).body as {
        endpoint?: string;
        endpoint_internal: string;
      };
      assert.is(app.endpoint, undefined, `${rt} has no endpoint outside the project`);
      assert.match(app.endpoint_internal, /\.svc\.cluster\.local:3001$/);
      upstreams.push({ name: rt, url: `${app.endpoint_internal}/mcp`, transport: 'streamable-http' as const });
      const containers = await docker().listContainers({
        filters: JSON.stringify({ label: [`${EMULATOR_LABEL}.app=${appName(s.stack, rt)}`] }),
      });
      assert.is(containers.length, 1);
      assert.equal(
        containers[0].Ports.filter((p) => p.PublicPort),
        [],
        `${rt}: no port published on the host`,
      );
    }

    const gw = await deployGatewayApp({
      project: s.backend.client.project(pid),
      stack: s.stack,
      image: IMAGE,
      token: TOKEN,
      upstreams,
      pollMs: 200,
      waitMs: 120_000,
    });
    assert.is(gw.status, 'ready', JSON.stringify(gw.status_details));
    assert.match(gw.endpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.not.ok(JSON.stringify(gw).includes(TOKEN), 'the token is not in the app (a secret reference)');

    const unauth = await fetch(`${gw.endpoint}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.is(unauth.status, 401, 'the gateway app refuses callers without the token');

    const client = await connectStreamableHttp(`${gw.endpoint}/mcp`, { authorization: `Bearer ${TOKEN}` });
    try {
      const want = ['one', 'two'].map((rt) => `${rt}__${EVERYTHING.tools.echo}`);
      let names: string[] = [];
      const deadline = Date.now() + 60_000;
      // The gateway connects to its upstreams after it starts listening: wait for both.
      while (!want.every((n) => names.includes(n)) && Date.now() < deadline) {
        names = (await client.listTools()).tools.map((t) => t.name);
        if (!want.every((n) => names.includes(n))) await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(
        want.every((n) => names.includes(n)),
        names.join(','),
      );
      for (const rt of ['one', 'two']) {
        const r = (await client.callTool({
          name: `${rt}__${EVERYTHING.tools.echo}`,
          arguments: { message: `via the gateway app to ${rt}` },
        })) as { content: Array<{ text?: string }> };
        assert.match(r.content.map((c) => c.text ?? '').join(''), `via the gateway app to ${rt}`);
      }
    } finally {
      await client.close();
    }

    // The gateway is not a runtime: a plan still sees exactly the two, unchanged.
    const again = await s.plan();
    assert.equal(again.plan!.summary, { create: 0, update: 0, replace: 0, delete: 0, noop: 2 });
  } finally {
    const project = s.backend.client.project(pid);
    await project.apps.delete(appName(s.stack, GATEWAY_RUNTIME), { ignoreNotFound: true }).catch(() => undefined);
    await project.secrets.delete(secretName(s.stack, GATEWAY_RUNTIME), { ignoreNotFound: true }).catch(() => undefined);
    await s.apply(await s.plan(true)).catch(() => undefined);
    await s.close();
  }
});

test.run();
