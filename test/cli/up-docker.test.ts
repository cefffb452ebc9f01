// `up` with Docker and process runtimes side by side, through the compiled CLI: the everything
// fixture image over Streamable HTTP and over stdio (docker attach) plus the quick-start process
// server, all federated at one /mcp; --down-on-exit removes the containers on Ctrl-C.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { docker, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages, EVERYTHING_IMAGE } from '../support/images.js';
import { cleanupCopy, quickstartCopy, requireBuild, runCli, runCliSync, type CliRun } from './up-support.js';

requireBuild();
const haveDocker = await requireDocker('up with docker runtimes');
const copy = quickstartCopy();
const stack = uniqueName('upd').replace(/[^a-z0-9_-]/g, '-');
let up: CliRun | undefined;
let client: Client | undefined;

const text = (r: Record<string, unknown>): string => (r.content as Array<{ text?: string }>)[0]?.text ?? '';

async function ourContainers(): Promise<string[]> {
  const list = await docker().listContainers({ all: true, filters: { label: [`dev.contextforge.stack=${stack}`] } });
  return list.map((c) => c.Id);
}

test('docker (http + stdio attach) and process runtimes served together', async () => {
  if (!haveDocker) return skip('the Docker daemon does not answer');
  await ensureFixtureImages();
  writeFileSync(
    join(copy.dir, 'contextforge.yaml'),
    `name: ${stack}
backends:
  local:
    type: process
  box:
    type: docker
    allow_local_images: true
catalog:
  - name: Quick-start example server
    slug: quickstart-example
    supported_backends: [process]
    source: {type: command, command: node, args: [examples/quickstart-server/server.js]}
    guardrails_profile: unrestricted
  - name: Everything over HTTP
    slug: ev-http
    supported_backends: [docker]
    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never}
    transport: {type: streamable-http, port: 3001, path: /mcp}
    guardrails_profile: unrestricted
  - name: Everything over stdio
    slug: ev-stdio
    supported_backends: [docker]
    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [stdio], pull: never}
    transport: {type: stdio}
    guardrails_profile: unrestricted
runtimes:
  - {name: qs, catalog: quickstart-example, backend: local}
  - {name: evhttp, catalog: ev-http, backend: box}
  - {name: evstdio, catalog: ev-stdio, backend: box}
`,
  );
  up = runCli(['up', '--port', '0', '--no-watch', '--down-on-exit'], {
    cwd: copy.dir,
    path: copy.path,
    env: process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {},
  });
  const url = (await up.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/, 180_000))[1];
  // Upstreams connect on their own schedule after the gateway listens: wait for each event.
  await up.waitFor(/evhttp: connected \(\d+ tools/, 120_000);
  await up.waitFor(/evstdio: connected \(\d+ tools/, 120_000);
  await up.waitFor(/qs: connected \(3 tools, 1 prompt, 1 resource\)/, 120_000);
  const token = readFileSync(join(copy.dir, '.contextforge', 'gateway.token'), 'utf8').trim();
  client = new Client({ name: 'up-docker', version: '0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  const names = (await client.listTools()).tools.map((t) => t.name);
  for (const n of ['qs__echo', 'evhttp__echo', 'evhttp__get-sum', 'evstdio__echo', 'evstdio__get-sum'])
    assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  assert.is(text(await client.callTool({ name: 'evhttp__echo', arguments: { message: 'http' } })), 'Echo: http');
  assert.is(text(await client.callTool({ name: 'evstdio__echo', arguments: { message: 'attach' } })), 'Echo: attach');
  assert.is(
    text(await client.callTool({ name: 'evstdio__get-sum', arguments: { a: 20, b: 22 } })),
    'The sum of 20 and 22 is 42.',
  );
  assert.is(text(await client.callTool({ name: 'qs__add', arguments: { a: 1, b: 2 } })), '3');
  assert.ok((await ourContainers()).length >= 2);
  await client.close();
  client = undefined;
  up.child.kill('SIGINT');
  assert.is(await up.exited, 0, up.stdout() + up.stderr());
  assert.match(up.stdout(), 'Destroy complete! Resources: 3 destroyed.');
  assert.equal(await ourContainers(), []);
});

test.after(async () => {
  await client?.close().catch(() => undefined);
  if (up && up.child.exitCode === null) {
    up.child.kill('SIGKILL');
    await up.exited;
  }
  if (haveDocker && (await ourContainers()).length)
    runCliSync(['destroy', '--auto-approve'], { cwd: copy.dir, path: copy.path });
  cleanupCopy(copy);
});

test.run();
