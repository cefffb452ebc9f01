// Issue 13 acceptance, the rug pull on real Docker through the product's path: the tiny
// rug-pull server (test/fixtures/servers/rug-pull-server.mjs) in an image built from local files
// (the everything fixture, which carries node, the MCP SDK and zod, plus the server file);
// `apply` writes the lock, `serve` enforces it. The server then rewrites echo's description and
// sends list_changed: clients stop seeing rp__echo within one list refresh, a call fails naming
// the lock, and the event log, /metrics and `status` record it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { docker, publishedPort, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages, EVERYTHING_IMAGE } from '../support/images.js';
import { requireBuild, runCli, runCliCombined, type CliRun } from '../cli/up-support.js';
import { connectClient, waitFor } from '../gateway/support/upstreams.js';

requireBuild();
const haveDocker = await requireDocker('the lock in the gateway on docker');
const stack = uniqueName('lock-gw').replace(/[^a-z0-9_-]/g, '-');
const dir = mkdtempSync(join(tmpdir(), 'cf-lock-gw-'));
const IMAGE = `cf-lock-test/${stack}-rugpull:v1`;
const SERVER = fileURLToPath(new URL('../fixtures/servers/rug-pull-server.mjs', import.meta.url));
const token = `lock-gw-${randomBytes(12).toString('hex')}`;
const env: Record<string, string> = {
  CONTEXTFORGE_GATEWAY_TOKEN: token,
  ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
};
const PATH = process.env.PATH ?? '/usr/bin:/bin';
let serve: CliRun | undefined;
let client: Client | undefined;
let gateway = '';
let listChanged = 0;

writeFileSync(
  join(dir, 'contextforge.yaml'),
  `name: ${stack}
backends:
  box:
    type: docker
    allow_local_images: true
catalog:
  - name: Rug pull
    slug: rp
    supported_backends: [docker]
    source: {type: docker, image: "${IMAGE}", command: ["/usr/bin/node", "/app/rug-pull-server.mjs"], pull: never}
    transport: {type: streamable-http, port: 3001, path: /mcp}
    guardrails_profile: unrestricted
runtimes:
  - {name: rp, catalog: rp, backend: box}
gateway:
  tool_lock: enforce
`,
);

const cli = (args: string[]): Promise<{ code: number | null; out: string }> =>
  runCliCombined(args, { cwd: dir, env: env });

test.after(async () => {
  await client?.close().catch(() => undefined);
  if (serve) {
    serve.child.kill('SIGINT');
    await serve.exited;
  }
  if (haveDocker) {
    await removeByLabel({ 'dev.contextforge.stack': stack });
    await docker()
      .getImage(IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
});

test('a rug pull at run time: enforce hides the tool, refuses the call naming the lock, records it', async () => {
  if (!haveDocker) return skip('the Docker daemon does not answer');
  await ensureFixtureImages();
  const ctx = join(dir, 'image');
  mkdirSync(ctx);
  copyFileSync(SERVER, join(ctx, 'rug-pull-server.mjs'));
  writeFileSync(
    join(ctx, 'Dockerfile'),
    `FROM ${EVERYTHING_IMAGE}\nCOPY rug-pull-server.mjs /app/rug-pull-server.mjs\n`,
  );
  execFileSync('docker', ['build', '--network', 'none', '-q', '-t', IMAGE, ctx], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });

  const applied = await cli(['apply', '--auto-approve']);
  assert.is(applied.code, 0, applied.out);
  assert.match(applied.out, /Updated .*contextforge\.lock/);

  serve = runCli(['serve', '--port', '0'], { cwd: dir, path: PATH, env });
  gateway = (await serve.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/, 60_000))[1];
  client = await connectClient(gateway, token);
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
  await waitFor(async () => (await client!.listTools()).tools.some((t) => t.name === 'rp__echo'), 60_000, 'rp__echo');

  const [main] = await docker().listContainers({
    filters: JSON.stringify({
      label: [`dev.contextforge.stack=${stack}`, 'dev.contextforge.runtime=rp', 'dev.contextforge.role=main'],
    }),
  });
  const port = await publishedPort(main.Id, 3001);
  const before = listChanged;
  const res = await fetch(`http://127.0.0.1:${port}/rug-pull`, { method: 'POST' });
  assert.is(res.status, 200);
  await res.text();
  await waitFor(() => listChanged > before, 30_000, 'list_changed from the gateway');
  await waitFor(
    async () => !(await client!.listTools()).tools.some((t) => t.name === 'rp__echo'),
    30_000,
    'rp__echo hidden',
  );
  assert.ok(
    (await client.listTools()).tools.some((t) => t.name === 'rp__add'),
    'the pinned tool stays',
  );
  const err = await client.callTool({ name: 'rp__echo', arguments: { message: 'x' } }).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.match(String(err?.message), "Tool 'echo' of runtime 'rp' is blocked by the lock");

  const metrics = await (
    await fetch(gateway.replace('/mcp', '/metrics'), { headers: { authorization: `Bearer ${token}` } })
  ).text();
  assert.match(metrics, 'contextforge_gateway_unpinned_definitions{runtime="rp",mode="enforce"} 1');
  await waitFor(
    async () => (await cli(['events', '--type', 'tool.unpinned'])).out.includes('echo'),
    30_000,
    'the event',
  );
  const status = await cli(['status']);
  assert.match(status.out, 'rp: 2 definitions pinned; the gateway reported 1 mismatch(es): tools echo (differs)');
});

test.run();
