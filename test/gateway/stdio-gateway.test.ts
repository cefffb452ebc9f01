// The stdio gateway as a client launches it: spawn the process with StdioClientTransport,
// list federated tools from an HTTP upstream and a stdio upstream, call both, and check the
// gateway exits when the client closes stdin.
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { EVERYTHING, spawnEverything, text, waitFor, type EverythingProcess } from './support/upstreams.js';

const MAIN = fileURLToPath(new URL('./fixtures/stdio-gateway-main.ts', import.meta.url));
let ev: EverythingProcess;

test.before(async () => {
  ev = await spawnEverything('streamableHttp');
});

test.after(async () => {
  await ev.kill();
});

test('a client that launches the gateway as a command gets the federation', async () => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', MAIN],
    env: {
      ...(process.env as Record<string, string>),
      CF_GW_UPSTREAMS: JSON.stringify([
        { name: 'web', transport: 'streamable-http', url: ev.url },
        { name: 'local', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
      ]),
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
  const client = new Client({ name: 'stdio-test', version: '1' }, { capabilities: {} });
  await client.connect(transport);
  const pid = transport.pid!;
  try {
    // Upstreams connect after the stdio server starts; the list fills in (with list_changed).
    await waitFor(
      async () => {
        const names = (await client.listTools()).tools.map((t) => t.name);
        return names.includes('web__echo') && names.includes('local__echo');
      },
      20_000,
      'both upstreams listed',
    );
    assert.match(text(await client.callTool({ name: 'web__echo', arguments: { message: 'over http' } })), 'over http');
    assert.match(text(await client.callTool({ name: 'local__get-sum', arguments: { a: 40, b: 2 } })), '42');
    assert.match(stderr, 'stdio gateway serving', 'logs go to stderr');
  } finally {
    await client.close();
  }
  await waitFor(() => !alive(pid), 10_000, 'gateway process exit');
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test.run();
