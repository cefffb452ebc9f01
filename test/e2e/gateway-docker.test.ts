// Issue 4 acceptance through the product's real path: a config file, `contextforge apply`, then
// `contextforge serve`, and an SDK client on the gateway's /mcp. The everything fixture image runs
// three times (Streamable HTTP, SSE, stdio attach); tools, prompts and resources are checked per
// transport, then a container is killed (fail fast, others unaffected) and the next apply repairs it
// (once for the HTTP runtime, once for the stdio-attached one).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages, EVERYTHING_IMAGE } from '../support/images.js';
import { requireBuild, runCli, runCliCombined, type CliRun } from '../cli/up-support.js';

requireBuild();
const haveDocker = await requireDocker('gateway over docker upstreams');
const stack = uniqueName('gwd').replace(/[^a-z0-9_-]/g, '-');
const dir = mkdtempSync(join(tmpdir(), 'cf-gw-docker-'));
const token = `gw-e2e-${randomBytes(12).toString('hex')}`;
const cliEnv: Record<string, string> = {
  CONTEXTFORGE_GATEWAY_TOKEN: token,
  ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
};
const PATH = process.env.PATH ?? '/usr/bin:/bin';
/** Runtime name → how the fixture is reached; names avoid `_` so `cf-<runtime>+demo` stays a URI scheme. */
const RUNTIMES = { evhttp: 'streamable-http', evsse: 'sse', evstdio: 'stdio' } as const;
type RuntimeName = keyof typeof RUNTIMES;
const NAMES = Object.keys(RUNTIMES) as RuntimeName[];

let serve: CliRun | undefined;
let client: Client | undefined;

writeFileSync(
  join(dir, 'contextforge.yaml'),
  `name: ${stack}
backends:
  box:
    type: docker
    allow_local_images: true
catalog:
  - name: Everything over Streamable HTTP
    slug: ev-http
    supported_backends: [docker]
    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never}
    transport: {type: streamable-http, port: 3001, path: /mcp}
    guardrails_profile: unrestricted
  - name: Everything over SSE
    slug: ev-sse
    supported_backends: [docker]
    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [sse], pull: never}
    transport: {type: sse, port: 3001, path: /sse}
    guardrails_profile: unrestricted
  - name: Everything over stdio
    slug: ev-stdio
    supported_backends: [docker]
    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [stdio], pull: never}
    transport: {type: stdio}
    guardrails_profile: unrestricted
runtimes:
  - {name: evhttp, catalog: ev-http, backend: box}
  - {name: evsse, catalog: ev-sse, backend: box}
  - {name: evstdio, catalog: ev-stdio, backend: box}
`,
);

const cli = (args: string[], timeoutMs?: number): Promise<{ code: number | null; out: string }> =>
  runCliCombined(args, { cwd: dir, env: cliEnv, timeoutMs });

const text = (r: Record<string, unknown>): string =>
  (r.content as Array<{ text?: string }> | undefined)?.[0]?.text ?? '';

async function mainContainer(runtime: RuntimeName): Promise<string[]> {
  const filters = {
    label: [`dev.contextforge.stack=${stack}`, `dev.contextforge.runtime=${runtime}`, 'dev.contextforge.role=main'],
  };
  return (await docker().listContainers({ all: false, filters: JSON.stringify(filters) })).map((c) => c.Id);
}

/** Every page of a list call (the gateway may paginate). */
async function allResources(c: Client): Promise<string[]> {
  const uris: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await c.listResources(cursor ? { cursor } : undefined);
    uris.push(...page.resources.map((r) => r.uri));
    cursor = page.nextCursor;
  } while (cursor);
  return uris;
}

/** A tool call with its wall time; an MCP-level failure (JSON-RPC error) is returned, not thrown. */
async function timedCall(
  name: string,
  args: Record<string, unknown>,
): Promise<{ ms: number; isError: boolean; text: string }> {
  const t0 = Date.now();
  try {
    const r = await client!.callTool({ name, arguments: args }, undefined, { timeout: 20_000 });
    return { ms: Date.now() - t0, isError: r.isError === true, text: text(r) };
  } catch (e) {
    return { ms: Date.now() - t0, isError: true, text: e instanceof Error ? e.message : String(e) };
  }
}

test('three transports from Docker through one gateway: tools, prompts, resources', async () => {
  if (!haveDocker) return skip('the Docker daemon does not answer');
  await ensureFixtureImages();
  const applied = await cli(['apply', '--auto-approve']);
  assert.is(applied.code, 0, applied.out);
  for (const n of NAMES) assert.is((await mainContainer(n)).length, 1, `one running container for ${n}`);

  serve = runCli(['serve', '--port', '0'], { cwd: dir, path: PATH, env: cliEnv });
  const url = (await serve.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+\/mcp) \(3 runtimes/, 60_000))[1];
  // The lines after it may arrive in later chunks of the pipe: wait for the last one.
  await serve.waitFor(/Press Ctrl-C to stop the gateway/, 10_000);
  assert.match(serve.stdout(), 'Auth: bearer token from CONTEXTFORGE_GATEWAY_TOKEN');
  for (const n of NAMES)
    assert.match(serve.stdout(), new RegExp(`  ${n}: (connected|connecting)`), serve.stdout() + serve.stderr());
  assert.not.match(serve.stdout() + serve.stderr(), token, 'the token is never printed');

  client = new Client({ name: 'gateway-docker-e2e', version: '0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );

  // serve waits up to 20 s for upstreams before printing; on a loaded machine one may still be
  // connecting, so the full prefixed tool set is polled for (bounded).
  const want = NAMES.flatMap((n) => [`${n}__echo`, `${n}__get-sum`]);
  let tools: string[] = [];
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
    tools = (await client.listTools()).tools.map((t) => t.name);
    if (want.every((w) => tools.includes(w))) break;
  }
  for (const n of NAMES) {
    for (const tool of ['echo', 'get-sum'])
      assert.ok(tools.includes(`${n}__${tool}`), `${n}__${tool} in ${tools.join(', ')}`);
  }
  assert.not.ok(tools.includes('echo'), 'no unprefixed names');

  const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
  const resources = await allResources(client);
  for (const n of NAMES) {
    assert.is(
      text(await client.callTool({ name: `${n}__echo`, arguments: { message: `via ${RUNTIMES[n]}` } })),
      `Echo: via ${RUNTIMES[n]}`,
    );
    assert.is(
      text(await client.callTool({ name: `${n}__get-sum`, arguments: { a: 17, b: 25 } })),
      'The sum of 17 and 25 is 42.',
    );

    assert.ok(prompts.includes(`${n}__simple-prompt`), `${n}__simple-prompt in ${prompts.join(', ')}`);
    const got = await client.getPrompt({ name: `${n}__simple-prompt` });
    assert.equal(
      got.messages.map((m) => m.content),
      [{ type: 'text', text: 'This is a simple prompt without arguments.' }],
    );

    // Three copies of the same server expose the same URIs, so each copy is marked with its runtime.
    const prefix = `cf-${n}+demo://resource/static/document/`;
    const mine = resources.filter((u) => u.startsWith(prefix));
    assert.ok(mine.length > 0, `${n} static documents among ${resources.length} resources`);
    const uri = mine.find((u) => u.endsWith('features.md')) ?? mine[0];
    const read = await client.readResource({ uri });
    assert.is(read.contents.length, 1);
    assert.is(read.contents[0].uri, uri);
    const body = (read.contents[0] as { text?: string }).text ?? '';
    assert.ok(body.length > 20, `${uri} has text (${body.length} chars)`);
  }
});

async function killAndRepair(victim: RuntimeName): Promise<void> {
  assert.ok(client, 'the first test connected');
  const [id] = await mainContainer(victim);
  assert.ok(id, `container of ${victim} found by its labels`);
  await docker().getContainer(id).kill();
  // The kill is sent at once; wait (bounded) until the daemon reports the container stopped.
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    if (!(await docker().getContainer(id).inspect()).State.Running) break;
  }
  assert.not.ok((await docker().getContainer(id).inspect()).State.Running, `${victim} container stopped`);

  // The gateway's call timeout is 60 s and the client's here 20 s: a dead upstream must get its
  // answer from the gateway, naming the runtime, not from either timeout.
  const failed = await timedCall(`${victim}__echo`, { message: 'dead?' });
  assert.ok(failed.isError, `call to the killed runtime fails: ${failed.text}`);
  assert.not.match(failed.text, /timed? ?out/i, `failed in ${failed.ms} ms: ${failed.text}`);
  assert.match(failed.text, victim);
  // Once the gateway knows it is down, every call fails with the documented message.
  const again = await timedCall(`${victim}__get-sum`, { a: 1, b: 2 });
  assert.ok(again.isError, `second call: ${again.ms} ms, ${again.text}`);
  assert.match(again.text, `Runtime '${victim}' is unavailable`);

  for (const n of NAMES.filter((x) => x !== victim)) {
    const ok = await timedCall(`${n}__echo`, { message: 'still here' });
    assert.is(ok.text, 'Echo: still here', `${n} keeps serving: ${ok.text}`);
    assert.not.ok(ok.isError);
  }

  const repaired = await cli(['apply', '--auto-approve']);
  assert.is(repaired.code, 0, repaired.out);
  assert.is((await mainContainer(victim)).length, 1, `${victim} runs again after apply:\n${repaired.out}`);

  // serve follows the state store; poll (bounded) until the gateway reaches the new container.
  const until = Date.now() + 60_000;
  let last = await timedCall(`${victim}__echo`, { message: 'back' });
  while (last.text !== 'Echo: back' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    last = await timedCall(`${victim}__echo`, { message: 'back' });
  }
  assert.is(last.text, 'Echo: back', `served again after apply (last: ${last.text})\n${serve?.stderr() ?? ''}`);
  assert.is(
    text(await client!.callTool({ name: `${victim}__get-sum`, arguments: { a: 17, b: 25 } })),
    'The sum of 17 and 25 is 42.',
  );
  for (const n of NAMES) {
    assert.is(text(await client!.callTool({ name: `${n}__echo`, arguments: { message: 'all' } })), 'Echo: all', n);
  }
}

// HTTP: the published port goes away with the container, and the repaired one gets a new port.
test('a killed Streamable HTTP container fails fast, the others keep serving, the next apply brings it back', async () => {
  if (haveDocker) await killAndRepair('evhttp');
});

// stdio attach: the attach stream ends; apply restarts the same container (same id).
test('a killed stdio-attached container fails fast, the others keep serving, the next apply brings it back', async () => {
  if (haveDocker) await killAndRepair('evstdio');
});

test.after(async () => {
  await client?.close().catch(() => undefined);
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    const stopped = await Promise.race([serve.exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    if (stopped === 'timeout') {
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
  }
  if (haveDocker) {
    await cli(['destroy', '--auto-approve'], 120_000);
    await removeByLabel({ 'dev.contextforge.stack': stack });
  }
  rmSync(dir, { recursive: true, force: true });
});

test.run();
