// Issue 10 acceptance: answers never cross between gateway clients. One applied stack serves
// server-everything three ways (Docker stdio, Docker Streamable HTTP, process backend); two
// gateway processes (`serve` over HTTP and `serve --stdio`) run at once, with three HTTP clients
// on the first. Every client fires 200 concurrent `echo` calls per runtime, each with a unique
// message, and every answer is checked against its own call: wrong answers are counted, must be 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages, EVERYTHING_IMAGE } from '../support/images.js';
import { BIN, REPO, requireBuild, runCli, runCliCombined, type CliRun } from '../cli/up-support.js';

requireBuild();
const haveDocker = await requireDocker('gateway client isolation');
const stack = uniqueName('gwiso').replace(/[^a-z0-9_-]/g, '-');
const dir = mkdtempSync(join(tmpdir(), 'cf-gw-iso-'));
const token = `gw-iso-${randomBytes(12).toString('hex')}`;
const PATH = process.env.PATH ?? '/usr/bin:/bin';
const cliEnv: Record<string, string> = {
  CONTEXTFORGE_GATEWAY_TOKEN: token,
  ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
};
const EVERYTHING_JS = join(REPO, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const RUNTIMES = (process.env.ISO_ONLY ? [process.env.ISO_ONLY] : ['evstdio', 'evhttp', 'evproc']) as readonly string[];
const CALLS = 200;

writeFileSync(
  join(dir, 'contextforge.yaml'),
  `name: ${stack}
backends:
  local:
    type: process
  box:
    type: docker
    allow_local_images: true
catalog:
  - name: Everything over stdio
    slug: ev-stdio
    supported_backends: [docker]
    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [stdio], pull: never}
    transport: {type: stdio}
    guardrails_profile: unrestricted
  - name: Everything over Streamable HTTP
    slug: ev-http
    supported_backends: [docker]
    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never}
    transport: {type: streamable-http, port: 3001, path: /mcp}
    guardrails_profile: unrestricted
  - name: Everything as a local process
    slug: ev-proc
    supported_backends: [process]
    source: {type: command, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(EVERYTHING_JS)}, stdio]}
    guardrails_profile: unrestricted
runtimes:
  - {name: evstdio, catalog: ev-stdio, backend: box}
  - {name: evhttp, catalog: ev-http, backend: box}
  - {name: evproc, catalog: ev-proc, backend: local}
`,
);

const cli = (args: string[], timeoutMs?: number): Promise<{ code: number | null; out: string }> =>
  runCliCombined(args, { cwd: dir, env: cliEnv, timeoutMs });

const text = (r: Record<string, unknown>): string =>
  (r.content as Array<{ text?: string }> | undefined)?.[0]?.text ?? '';

let serve: CliRun | undefined;
const clients: Array<{ name: string; client: Client }> = [];

async function waitForTools(c: Client, want: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  let names: string[] = [];
  while (Date.now() < deadline) {
    names = (await c.listTools()).tools.map((t) => t.name);
    if (want.every((w) => names.includes(w))) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`tools never listed: ${want.filter((w) => !names.includes(w)).join(', ')} (have ${names.length})`);
}

test('two gateway processes, four clients, 200 concurrent calls each per runtime: no answer crosses', async () => {
  if (!haveDocker) return skip('the Docker daemon does not answer');
  await ensureFixtureImages();
  const applied = await cli(['apply', '--auto-approve']);
  assert.is(applied.code, 0, applied.out);

  serve = runCli(['serve', '--port', '0'], { cwd: dir, path: PATH, env: cliEnv });
  const url = (await serve.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/, 90_000))[1];
  for (let i = 1; i <= 3; i++) {
    const c = new Client({ name: `iso-http-${i}`, version: '0' });
    // Each client keeps idle sockets for less time than the server's keep-alive, so a reused
    // socket is never one the gateway is closing; 64 connections carry the 200 calls. The cap
    // matters: without it undici takes the server's `Keep-Alive: timeout=5` hint (less its 2 s
    // margin) instead, and a client stalled a second on a loaded host reused sockets the gateway
    // had just closed after the idle wait before the first round ("other side closed").
    const agent = new Agent({ connections: 64, keepAliveTimeout: 1000, keepAliveMaxTimeout: 1000 });
    const fetch = ((u: string | URL, init?: RequestInit) =>
      undiciFetch(u, { ...(init as object), dispatcher: agent })) as unknown as typeof globalThis.fetch;
    await c.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        fetch,
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    clients.push({ name: `http${i}`, client: c });
  }
  const stdio = new Client({ name: 'iso-stdio', version: '0' });
  await stdio.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'serve', '--stdio'],
      cwd: dir,
      env: { HOME: process.env.HOME ?? '', PATH, LANG: 'C', NO_COLOR: '1', ...cliEnv },
      stderr: 'ignore',
    }),
  );
  clients.push({ name: 'stdio', client: stdio });
  const want = RUNTIMES.map((r) => `${r}__echo`);
  for (const c of clients) await waitForTools(c.client, want);

  for (const runtime of RUNTIMES) {
    let wrong = 0;
    let failed = 0;
    const samples: string[] = [];
    // Every client's calls to this runtime run at the same time, across both gateway processes.
    await Promise.all(
      clients.flatMap(({ name, client }) =>
        Array.from({ length: CALLS }, async (_, i) => {
          const message = `${name}-${runtime}-${i}-${randomBytes(6).toString('hex')}`;
          try {
            const r = await client.callTool({ name: `${runtime}__echo`, arguments: { message } }, undefined, {
              timeout: 180_000,
            });
            if (r.isError) {
              failed++;
              if (samples.length < 3) samples.push(text(r));
            } else if (text(r) !== `Echo: ${message}`) {
              wrong++;
              if (samples.length < 3) samples.push(`${message} got ${text(r)}`);
            }
          } catch (e) {
            failed++;
            const cause = (e as Error & { cause?: Error }).cause;
            if (samples.length < 3) samples.push(`${(e as Error).message}${cause ? ` (${cause.message})` : ''}`);
          }
        }),
      ),
    );
    assert.is(wrong, 0, `${runtime}: ${wrong} answers went to the wrong caller: ${samples.join(' | ')}`);
    assert.is(failed, 0, `${runtime}: ${failed} of ${clients.length * CALLS} calls failed: ${samples.join(' | ')}`);
  }
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.client.close().catch(() => undefined)));
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGINT');
    await serve.exited;
  }
  if (haveDocker) {
    await cli(['destroy', '--auto-approve'], 120_000);
    await removeByLabel({ 'dev.contextforge.stack': stack }).catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
});

test.run();
