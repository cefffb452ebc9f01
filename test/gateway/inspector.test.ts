// The official MCP Inspector CLI (@modelcontextprotocol/inspector-cli) against the gateway's
// /mcp with a bearer token: tools/list and tools/call succeed, a wrong token fails.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createGateway, spawnStdioConnector, type Gateway } from '../../src/gateway/index.js';
import { EVERYTHING, quietLogger } from './support/upstreams.js';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
const CLI_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../node_modules/@modelcontextprotocol/inspector-cli/build',
);
let gw: Gateway;
let mcpUrl = '';

test.before(async () => {
  gw = createGateway({ port: 0, auth: { mode: 'token', tokens: [TOKEN] }, logger: quietLogger() });
  mcpUrl = `${(await gw.start()).url}/mcp`;
  await gw.setUpstreams([
    {
      name: 'ev',
      transport: 'stdio',
      stdio: spawnStdioConnector({ command: process.execPath, args: [EVERYTHING, 'stdio'] }),
      specHash: '1',
    },
  ]);
  assert.ok(await gw.settled());
});

test.after(async () => {
  await gw.stop();
});

/** Runs the inspector CLI; its cwd is its build dir because v1.0.3 finds its package.json relative to cwd. */
function inspector(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['index.js', mcpUrl, '--transport', 'http', ...args], {
      cwd: CLI_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test('inspector CLI lists federated tools with the bearer token', async () => {
  const r = await inspector(['--header', `Authorization: Bearer ${TOKEN}`, '--method', 'tools/list']);
  assert.is(r.code, 0, r.err);
  const body = JSON.parse(r.out) as { tools: Array<{ name: string }> };
  const names = body.tools.map((t) => t.name);
  assert.ok(names.includes('ev__echo') && names.includes('ev__get-sum'), names.join(','));
});

test('inspector CLI calls a federated tool', async () => {
  const r = await inspector([
    '--header',
    `Authorization: Bearer ${TOKEN}`,
    '--method',
    'tools/call',
    '--tool-name',
    'ev__get-sum',
    '--tool-arg',
    'a=20',
    'b=22',
  ]);
  assert.is(r.code, 0, r.err);
  const body = JSON.parse(r.out) as { content: Array<{ text: string }> };
  assert.match(body.content[0].text, 'is 42');
});

test('inspector CLI with a wrong token is refused', async () => {
  const r = await inspector(['--header', 'Authorization: Bearer wrong', '--method', 'tools/list']);
  assert.match(`${r.out}${r.err}`, 'Invalid bearer token');
  assert.not.match(r.out, 'ev__echo');
});

test.run();
