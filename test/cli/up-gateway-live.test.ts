// Gateway settings changed under a running `up` are applied without restarting it: adding a
// virtual server to the saved config brings /servers/<name>/mcp up with just its tools, on the
// port `up` already served. Through the compiled CLI with the quick-start process runtime.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cleanupCopy, quickstartCopy, requireBuild, runCli, type CliRun } from './up-support.js';

requireBuild();
const copy = quickstartCopy();
let up: CliRun | undefined;

async function tools(url: string, token: string): Promise<string[]> {
  const client = new Client({ name: 'up-gateway-live', version: '0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  try {
    return (await client.listTools()).tools.map((t) => t.name).sort();
  } finally {
    await client.close();
  }
}

test('a virtual server added to the config under up is served at once, on the same port', async () => {
  up = runCli(['up', '--port', '0'], { cwd: copy.dir, path: copy.path });
  const base = (await up.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+)\/mcp/, 120_000))[1];
  await up.waitFor(/Watching .* for changes/, 120_000);
  await up.waitFor(/quickstart: connected/, 120_000);
  const token = readFileSync(join(copy.dir, '.contextforge', 'gateway.token'), 'utf8').trim();
  assert.equal(await tools(`${base}/mcp`, token), ['quickstart__add', 'quickstart__echo', 'quickstart__time']);

  const cfg = join(copy.dir, 'contextforge.yaml');
  writeFileSync(
    cfg,
    readFileSync(cfg, 'utf8').replace(
      '  port: 4444\n',
      '  port: 4444\n  servers:\n    - name: only-echo\n      tools: ["quickstart__echo"]\n',
    ),
  );
  await up.waitFor(/Gateway settings changed: the gateway restarted with them/, 120_000);
  await up.waitFor(/Gateway settings changed[^]*quickstart: connected/, 120_000);
  assert.ok(up.stdout().includes(`Gateway listening on ${base}/mcp`), 'the same port again');
  assert.equal(await tools(`${base}/servers/only-echo/mcp`, token), ['quickstart__echo']);
  assert.not.match(up.stdout(), /restart to apply them/);
  up.child.kill('SIGINT');
  assert.is(await up.exited, 0, up.stdout() + up.stderr());
});

test.after(async () => {
  if (up && up.child.exitCode === null) {
    up.child.kill('SIGKILL');
    await up.exited;
  }
  cleanupCopy(copy);
});

test.run();
