// `client-config <client> --write` through the compiled CLI, against a running gateway: each of
// Claude Desktop, VS Code, Cursor and Claude Code gets its entry merged into its own config file
// (default locations under a temporary HOME and project), other servers and settings kept, the
// old file kept as .bak, the URL the one the gateway really serves (`serve --port 0`), and the
// written file accepted by a JSON Schema of that client's documented format (ajv). A file that is
// not plain JSON is refused and left as it was, except VS Code's JSONC, edited with its comments kept. The HTTP entries are then used to list tools.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cleanupCopy, quickstartCopy, requireBuild, runCli, runCliSync, type CliRun } from './up-support.js';

requireBuild();
const require = createRequire(import.meta.url);
const { Ajv } = require('ajv') as typeof import('ajv');
const addFormats = (require('ajv-formats') as { default: (a: InstanceType<typeof Ajv>) => void }).default;

const copy = quickstartCopy();
const home = mkdtempSync(join(tmpdir(), 'cf-client-home-'));
const env = { HOME: home };
const cli = (args: string[]) => runCliSync(args, { cwd: copy.dir, path: copy.path, env });
let serve: CliRun | undefined;
let port = 0;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function schema(client: string): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const file = new URL(`../fixtures/client-schemas/${client}.schema.json`, import.meta.url);
  return ajv.compile(JSON.parse(readFileSync(file, 'utf8')) as object);
}

/** Each client's file at its default place, and an entry of someone else's that must survive. */
const CLIENTS: Record<string, { file: string; before: Json }> = {
  'claude-desktop': {
    file: join(home, '.config', 'Claude', 'claude_desktop_config.json'),
    before: { globalShortcut: 'Ctrl+Space', mcpServers: { other: { command: 'npx', args: ['-y', 'other-server'] } } },
  },
  vscode: {
    file: join(copy.dir, '.vscode', 'mcp.json'),
    before: {
      servers: { other: { type: 'stdio', command: 'other', args: [] } },
      inputs: [{ type: 'promptString', id: 'other-key', description: 'Other key', password: true }],
    },
  },
  cursor: {
    file: join(home, '.cursor', 'mcp.json'),
    before: { mcpServers: { other: { url: 'http://127.0.0.1:9/mcp' } } },
  },
  'claude-code': {
    file: join(copy.dir, '.mcp.json'),
    before: { mcpServers: { other: { type: 'stdio', command: 'other', args: [], env: {} } } },
  },
};

async function listVia(url: string, headers: Record<string, string>): Promise<string[]> {
  const client = new Client({ name: 'client-config-write', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  try {
    return (await client.listTools()).tools.map((t) => t.name).sort();
  } finally {
    await client.close();
  }
}

test('the schemas reject what the clients would not read (they can fail)', () => {
  assert.is(schema('vscode')({ mcpServers: {} }), false, 'VS Code reads servers, not mcpServers');
  assert.is(schema('claude-desktop')({ mcpServers: { x: { url: 'http://127.0.0.1/mcp' } } }), false);
  assert.is(schema('cursor')({ mcpServers: { x: { type: 'http', url: 'http://127.0.0.1/mcp' } } }), false);
  assert.is(schema('claude-code')({ mcpServers: { x: { url: 'http://127.0.0.1/mcp' } } }), false, 'type needed');
});

test('with a gateway serving on a port of its own choosing', async () => {
  const applied = cli(['apply', '--auto-approve']);
  assert.is(applied.code, 0, applied.stderr + applied.stdout);
  serve = runCli(['serve', '--port', '0'], { cwd: copy.dir, path: copy.path, env });
  port = Number((await serve.waitFor(/Gateway listening on http:\/\/127\.0\.0\.1:(\d+)\/mcp/))[1]);
  await serve.waitFor(/upstream connected runtime=quickstart/);
  assert.is.not(port, 4444);
});

for (const [client, c] of Object.entries(CLIENTS)) {
  test(`${client}: --write merges into its config file, keeps a backup, matches the documented schema`, () => {
    mkdirSync(dirname(c.file), { recursive: true });
    const old = `${JSON.stringify(c.before, null, 2)}\n`;
    writeFileSync(c.file, old);
    const r = cli(['client-config', client, '--write']);
    assert.is(r.code, 0, r.stderr + r.stdout);
    assert.ok(r.stdout.includes(`Wrote server "contextforge" into ${c.file}`), r.stdout);
    assert.match(r.stderr, `The gateway of this config is running: pointing at http://127.0.0.1:${port}`);
    assert.is(readFileSync(`${c.file}.bak`, 'utf8'), old, 'the previous file is kept');
    const written = JSON.parse(readFileSync(c.file, 'utf8')) as Json;
    const validate = schema(client);
    assert.ok(validate(written), `${client}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(written, null, 2)}`);
    const servers = client === 'vscode' ? written.servers : written.mcpServers;
    const before = client === 'vscode' ? c.before.servers : c.before.mcpServers;
    assert.equal(servers.other, before.other, 'the other server is kept');
    if (client === 'claude-desktop') assert.is(written.globalShortcut, 'Ctrl+Space');
    if (client === 'vscode')
      assert.equal(
        written.inputs.map((i: Json) => i.id),
        ['other-key', 'contextforge-token'],
      );
    if (client !== 'claude-desktop') assert.is(servers.contextforge.url, `http://127.0.0.1:${port}/mcp`);
    // Writing again replaces our entry only: nothing doubles.
    assert.is(cli(['client-config', client, '--write']).code, 0);
    const again = JSON.parse(readFileSync(c.file, 'utf8')) as Json;
    assert.equal(again, written);
  });
}

test('the written HTTP entries reach the gateway with the token from the environment', async () => {
  const token = readFileSync(join(copy.dir, '.contextforge', 'gateway.token'), 'utf8').trim();
  for (const client of ['vscode', 'cursor', 'claude-code']) {
    const written = JSON.parse(readFileSync(CLIENTS[client].file, 'utf8')) as Json;
    const entry = (client === 'vscode' ? written.servers : written.mcpServers).contextforge;
    const auth = String(entry.headers.Authorization).replace(/\$\{[^}]+\}/, token);
    assert.equal(await listVia(entry.url, { Authorization: auth }), [
      'quickstart__add',
      'quickstart__echo',
      'quickstart__time',
    ]);
  }
});

test('a client file that is not plain JSON is refused and left alone', () => {
  const file = join(home, 'commented.json');
  const text = '{\n  // my servers\n  "mcpServers": {}\n}\n';
  writeFileSync(file, text);
  const r = cli(['client-config', 'cursor', '--write', '--config-path', file]);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'error[client-config.unwritable]');
  assert.is(readFileSync(file, 'utf8'), text);
  assert.not.ok(existsSync(`${file}.bak`));
});

test('vscode: a JSONC mcp.json (comments, trailing commas) is edited in place, its comments kept', () => {
  const file = join(home, 'jsonc', 'mcp.json');
  mkdirSync(dirname(file), { recursive: true });
  const text = [
    '// Team MCP servers: keep this note',
    '{',
    '  "servers": {',
    '    /* the old one */',
    '    "other": { "type": "stdio", "command": "other", "args": [], },',
    '  },',
    '  "inputs": [',
    '    { "type": "promptString", "id": "other-key", "description": "Other key", "password": true }, // ours',
    '  ],',
    '}',
    '',
  ].join('\n');
  writeFileSync(file, text);
  const r = cli(['client-config', 'vscode', '--write', '--config-path', file]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const written = readFileSync(file, 'utf8');
  for (const comment of ['// Team MCP servers: keep this note', '/* the old one */', '// ours'])
    assert.ok(written.includes(comment), `${comment} kept:\n${written}`);
  assert.is(readFileSync(`${file}.bak`, 'utf8'), text);
  const errors: ParseError[] = [];
  const doc = parseJsonc(written, errors, { allowTrailingComma: true }) as Json;
  assert.equal(errors, [], written);
  const validate = schema('vscode');
  assert.ok(validate(doc), JSON.stringify(validate.errors));
  assert.equal(doc.servers.other, { type: 'stdio', command: 'other', args: [] });
  assert.is(doc.servers.contextforge.url, `http://127.0.0.1:${port}/mcp`);
  assert.equal(
    doc.inputs.map((i: Json) => i.id),
    ['other-key', 'contextforge-token'],
  );
  // Again: our entry and input are replaced where they are, nothing doubles, comments stay.
  assert.is(cli(['client-config', 'vscode', '--write', '--config-path', file]).code, 0);
  const again = readFileSync(file, 'utf8');
  assert.equal(parseJsonc(again, [], { allowTrailingComma: true }), doc);
  assert.ok(again.includes('/* the old one */'));
  // Broken JSONC is refused and left as it was.
  const broken = '{ "servers": { "other": { "type": "stdio", } \n';
  writeFileSync(file, broken);
  const bad = cli(['client-config', 'vscode', '--write', '--config-path', file]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /error\[client-config\.unwritable\]: .* is not valid JSONC/);
  assert.is(readFileSync(file, 'utf8'), broken);
});

test('without a running gateway the configured port is used, and said so', async () => {
  serve!.child.kill('SIGINT');
  await serve!.exited;
  const r = cli(['client-config', 'claude-code']);
  assert.is(r.code, 0, r.stderr);
  assert.is((JSON.parse(r.stdout) as Json).mcpServers.contextforge.url, 'http://127.0.0.1:4444/mcp');
  assert.match(r.stderr, 'No gateway of this config is running');
});

test.after(async () => {
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGKILL');
    await serve.exited;
  }
  cleanupCopy(copy);
  rmSync(home, { recursive: true, force: true });
});

test.run();
