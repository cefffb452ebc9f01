// `contextforge client-config`: every snippet parses as JSON with the gateway URL, and each one
// really works against a running gateway: the quick start is applied by one short-lived
// `apply`, served by a separate `serve`, then reached with the snippet of each client (the
// Inspector CLI with its config file, the Claude Desktop command over stdio, VS Code's and
// Cursor's URL + header through the SDK client).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cleanupCopy, quickstartCopy, REPO, requireBuild, runCli, runCliSync, type CliRun } from './up-support.js';

requireBuild();
const copy = quickstartCopy();
const cfg = join(copy.dir, 'contextforge.yaml');
const cli = (args: string[]) => runCliSync(args, { cwd: copy.dir, path: copy.path });
let serve: CliRun | undefined;
let port = 0;
let token = '';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function snippet(client: string, extra: string[] = []): Json {
  const r = cli(['client-config', client, '-f', cfg, ...extra]);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Json;
}

async function listVia(url: string, headers: Record<string, string>): Promise<string[]> {
  const client = new Client({ name: 'client-config-test', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  try {
    return (await client.listTools()).tools.map((t) => t.name).sort();
  } finally {
    await client.close();
  }
}

test('every snippet is JSON pointing at the configured gateway URL', () => {
  const url = 'http://127.0.0.1:4444/mcp';
  const vs = snippet('vscode');
  assert.equal(vs.servers.contextforge.type, 'http');
  assert.is(vs.servers.contextforge.url, url);
  assert.is(vs.servers.contextforge.headers.Authorization, 'Bearer ${input:contextforge-token}');
  assert.equal(vs.inputs, [
    { type: 'promptString', id: 'contextforge-token', description: 'contextforge gateway token', password: true },
  ]);
  const cu = snippet('cursor');
  assert.is(cu.mcpServers.contextforge.url, url);
  assert.is(cu.mcpServers.contextforge.headers.Authorization, 'Bearer ${env:CONTEXTFORGE_GATEWAY_TOKEN}');
  const ins = snippet('inspector');
  assert.equal(ins.mcpServers.contextforge, { type: 'streamable-http', url });
  const cd = snippet('claude-desktop');
  assert.is(cd.mcpServers.contextforge.command, process.execPath);
  assert.equal(cd.mcpServers.contextforge.args, [join(REPO, 'bin', 'contextforge.js'), 'serve', '--stdio', '-f', cfg]);
  assert.is(snippet('cursor', ['--port', '5555', '--name', 'cf']).mcpServers.cf.url, 'http://127.0.0.1:5555/mcp');
});

test('auth: none leaves the headers out; unknown clients are an error', () => {
  const other = join(copy.dir, 'noauth.yaml');
  writeFileSync(other, readFileSync(cfg, 'utf8').replace('  port: 4444\n', '  port: 4545\n  auth: none\n'));
  const r = cli(['client-config', 'vscode', '-f', other]);
  assert.is(r.code, 0, r.stderr);
  const vs = JSON.parse(r.stdout) as Json;
  assert.equal(vs, { servers: { contextforge: { type: 'http', url: 'http://127.0.0.1:4545/mcp' } } });
  const bad = cli(['client-config', 'emacs', '-f', cfg]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, 'unknown client "emacs"');
  assert.match(bad.stderr, 'claude-desktop, vscode, cursor, claude-code, inspector');
});

test('apply (short-lived) then serve (separate process) serves the quick start', async () => {
  const applied = cli(['apply', '--auto-approve']);
  assert.is(applied.code, 0, applied.stderr + applied.stdout);
  serve = runCli(['serve', '--port', '0'], { cwd: copy.dir, path: copy.path });
  const m = await serve.waitFor(/Gateway listening on http:\/\/127\.0\.0\.1:(\d+)\/mcp \(1 runtime/);
  port = Number(m[1]);
  await serve.waitFor(/upstream connected runtime=quickstart/);
  token = readFileSync(join(copy.dir, '.contextforge', 'gateway.token'), 'utf8').trim();
});

test('the VS Code and Cursor snippets reach the gateway with the token filled in', async () => {
  for (const client of ['vscode', 'cursor'] as const) {
    const s = snippet(client, ['--port', String(port)]);
    const entry = client === 'vscode' ? s.servers.contextforge : s.mcpServers.contextforge;
    const auth = String(entry.headers.Authorization).replace(/\$\{[^}]+\}/, token);
    assert.equal(await listVia(entry.url, { Authorization: auth }), [
      'quickstart__add',
      'quickstart__echo',
      'quickstart__time',
    ]);
  }
});

test('the Inspector CLI lists the tools with the inspector config file', () => {
  const file = join(copy.dir, 'inspector.json');
  writeFileSync(file, JSON.stringify(snippet('inspector', ['--port', String(port)])));
  // Its cwd is its build dir: inspector-cli 1.0.3 finds its own package.json relative to cwd.
  const buildDir = join(REPO, 'node_modules', '@modelcontextprotocol', 'inspector-cli', 'build');
  const r = spawnSync(
    process.execPath,
    [
      join(buildDir, 'cli.js'),
      '--cli',
      '--config',
      file,
      '--server',
      'contextforge',
      '--header',
      `Authorization: Bearer ${token}`,
      '--method',
      'tools/list',
    ],
    {
      cwd: buildDir,
      env: { PATH: copy.path, HOME: process.env.HOME },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.is(r.status, 0, r.stderr + r.stdout);
  const tools = (JSON.parse(r.stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name).sort();
  assert.equal(tools, ['quickstart__add', 'quickstart__echo', 'quickstart__time']);
});

test('the Claude Desktop command serves the same runtimes over stdio', async () => {
  const s = snippet('claude-desktop');
  const entry = s.mcpServers.contextforge as { command: string; args: string[] };
  const client = new Client({ name: 'claude-desktop-like', version: '0' });
  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args,
    env: { PATH: copy.path, HOME: process.env.HOME ?? '' },
    stderr: 'pipe',
  });
  await client.connect(transport);
  try {
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.equal(names, ['quickstart__add', 'quickstart__echo', 'quickstart__time']);
    const r = await client.callTool({ name: 'quickstart__echo', arguments: { message: 'over stdio' } });
    assert.equal(r.content, [{ type: 'text', text: 'over stdio' }]);
  } finally {
    await client.close();
  }
});

test.after(async () => {
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGINT');
    const code = await serve.exited;
    assert.is(code, 0);
  }
  cleanupCopy(copy);
});

test.run();
