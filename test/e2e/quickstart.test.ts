// The README's quick start, end to end, on a machine without Docker: in a temp copy of the
// repository's contextforge.yaml + examples/quickstart-server, `contextforge up` (the compiled
// CLI, PATH holding only node) applies the process backend and serves it; an SDK client lists
// and calls the example's tools through /mcp with the generated token; a bad edit is reported
// and changes nothing; a good edit is applied live; Ctrl-C exits 0 and leaves servers running.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  cleanupCopy,
  livePids,
  quickstartCopy,
  requireBuild,
  runCli,
  runCliSync,
  type CliRun,
} from '../cli/up-support.js';

requireBuild();
const copy = quickstartCopy();
const configFile = join(copy.dir, 'contextforge.yaml');
const original = readFileSync(configFile, 'utf8');
let up: CliRun | undefined;
let client: Client | undefined;
let url = '';
let token = '';

const text = (r: Record<string, unknown>): string => (r.content as Array<{ text?: string }>)[0]?.text ?? '';

test('up applies the quick start and serves it on a free port', async () => {
  // Docker is absent: no docker binary on PATH, and DOCKER_HOST points at nothing.
  up = runCli(['up', '--port', '0'], {
    cwd: copy.dir,
    path: copy.path,
    env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
  });
  const m = await up.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/, 60_000);
  url = m[1];
  await up.waitFor(/Watching .*contextforge\.yaml/);
  assert.match(up.stdout(), 'runtime.quickstart: Creation complete');
  assert.match(up.stdout(), 'Apply complete! Resources: 1 created');
  const tokenFile = join(copy.dir, '.contextforge', 'gateway.token');
  assert.match(up.stdout(), tokenFile, 'the token file path is printed');
  token = readFileSync(tokenFile, 'utf8').trim();
  assert.ok(token.length >= 32);
  assert.is(statSync(tokenFile).mode & 0o777, 0o600);
  assert.not.ok(up.stdout().includes(token) || up.stderr().includes(token), 'the token itself is never printed');
});

test('an SDK client lists and calls the example tools through /mcp with the token', async () => {
  client = new Client({ name: 'quickstart-e2e', version: '0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  const names = (await client.listTools()).tools.map((t) => t.name).sort();
  assert.equal(names, ['quickstart__add', 'quickstart__echo', 'quickstart__time'], up!.stderr());
  assert.is(
    text(await client.callTool({ name: 'quickstart__echo', arguments: { message: 'hello through the gateway' } })),
    'hello through the gateway',
  );
  assert.is(text(await client.callTool({ name: 'quickstart__add', arguments: { a: 19, b: 23 } })), '42');
  const prompt = await client.getPrompt({ name: 'quickstart__greet', arguments: { name: 'Ada' } });
  assert.match(JSON.stringify(prompt.messages), 'Hello, Ada!');
  const resources = (await client.listResources()).resources.map((r) => r.uri);
  assert.equal(resources, ['quickstart://about']);
  // The gateway reached the server through direct sessions: the supervisor is not in the path.
  const processDir = join(copy.dir, '.contextforge', 'process');
  const logs = readdirSync(processDir).map((stack) => readFileSync(join(processDir, stack, 'quickstart.log'), 'utf8'));
  assert.match(logs.join(''), /direct session started on child \d+/);
});

test('requests without the token are refused', async () => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.is(res.status, 401);
  await res.body?.cancel();
});

test('an invalid edit prints the diagnostic and keeps serving', async () => {
  const before = up!.stderr().length;
  writeFileSync(configFile, original.replace('    backend: local\n', '    backend: local\n    bakend_typo: yes\n'));
  await up!.waitFor(/The config is not valid: nothing was changed/, 20_000);
  const diag = up!.stderr().slice(before);
  assert.match(diag, /error\[/);
  assert.match(diag, 'bakend_typo');
  assert.match(diag, /contextforge\.yaml:\d+:\d+/);
  assert.is(text(await client!.callTool({ name: 'quickstart__add', arguments: { a: 1, b: 2 } })), '3');
});

test('a valid edit is applied live and the gateway follows it', async () => {
  const applies = (up!.stdout().match(/Apply complete!/g) ?? []).length;
  writeFileSync(configFile, original.replace('        default: Hello\n', '        default: Howdy\n'));
  await up!.waitFor(new RegExp(`(Apply complete![^]*){${applies + 1}}`), 30_000);
  assert.match(up!.stdout(), 'runtime.quickstart: Replacement complete');
  assert.match(up!.stdout(), 'replace:env-changed');
  // The replaced server is reached again through the same client session, without reconnecting.
  const until = Date.now() + 60_000;
  let greeting = '';
  while (Date.now() < until) {
    try {
      greeting = JSON.stringify(
        (await client!.getPrompt({ name: 'quickstart__greet', arguments: { name: 'Ada' } })).messages,
      );
      if (greeting.includes('Howdy')) break;
    } catch {
      // The upstream is reconnecting to the new server.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(greeting, 'Howdy, Ada!');
});

test('adding a runtime: the connected client gets tools/list_changed and sees the new tools', async () => {
  let changed = 0;
  client!.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changed += 1;
  });
  const applies = (up!.stdout().match(/Apply complete!/g) ?? []).length;
  const withSecond = readFileSync(configFile, 'utf8').replace(
    '    backend: local\n',
    '    backend: local\n  - name: second\n    catalog: quickstart-example\n    backend: local\n',
  );
  writeFileSync(configFile, withSecond);
  await up!.waitFor(new RegExp(`(Apply complete![^]*){${applies + 1}}`), 30_000);
  assert.match(up!.stdout(), 'runtime.second: Creation complete');
  const until = Date.now() + 60_000;
  while (
    (changed === 0 || !(await client!.listTools()).tools.some((t) => t.name === 'second__echo')) &&
    Date.now() < until
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(changed > 0, 'notifications/tools/list_changed arrived');
  const names = (await client!.listTools()).tools.map((t) => t.name).sort();
  assert.equal(names, [
    'quickstart__add',
    'quickstart__echo',
    'quickstart__time',
    'second__add',
    'second__echo',
    'second__time',
  ]);
  assert.is(
    text(await client!.callTool({ name: 'second__echo', arguments: { message: 'from the new runtime' } })),
    'from the new runtime',
  );
});

test('Ctrl-C exits 0, stops the gateway and leaves the servers running', async () => {
  await client!.close();
  client = undefined;
  up!.child.kill('SIGINT');
  const code = await up!.exited;
  assert.is(code, 0, `stdout:\n${up!.stdout()}\nstderr:\n${up!.stderr()}`);
  assert.match(up!.stdout(), 'servers keep running');
  const res = await fetch(url).catch((e: Error) => e);
  assert.ok(res instanceof Error, 'the gateway no longer listens');
  assert.ok(livePids(copy.dir).length >= 1, 'the supervised server outlives up');
  const lock = runCliSync(['destroy', '--auto-approve'], { cwd: copy.dir, path: copy.path });
  assert.is(lock.code, 0, lock.stderr + lock.stdout);
  assert.equal(livePids(copy.dir), []);
});

test.after(async () => {
  await client?.close().catch(() => undefined);
  if (up && up.child.exitCode === null) {
    up.child.kill('SIGKILL');
    await up.exited;
  }
  cleanupCopy(copy);
});

test.run();
