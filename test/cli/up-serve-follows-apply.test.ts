// `serve` follows applies made by other processes: with `serve` running, a separate short-lived
// `apply` adds a runtime and later `destroy` removes everything; the connected client sees the
// tool set change each time (the state store's change counter, polled by serve).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cleanupCopy, quickstartCopy, requireBuild, runCli, runCliAsync, type CliRun } from './up-support.js';

requireBuild();
const copy = quickstartCopy();
const cfg = join(copy.dir, 'contextforge.yaml');
let serve: CliRun | undefined;
let client: Client | undefined;

async function toolsEventually(want: string[], ms = 20_000): Promise<string[]> {
  const until = Date.now() + ms;
  let names: string[] = [];
  while (Date.now() < until) {
    names = (await client!.listTools()).tools.map((t) => t.name).sort();
    if (JSON.stringify(names) === JSON.stringify(want)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return names;
}

test('serve with nothing applied, then apply and destroy from other processes', async () => {
  serve = runCli(['serve', '--port', '0'], { cwd: copy.dir, path: copy.path });
  const url = (await serve.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+\/mcp) \(0 runtimes/))[1];
  // Written after the listening line, in a write of its own: waited for, not read at one moment.
  await serve.waitFor(/Nothing is applied for stack quickstart yet/);
  const token = readFileSync(join(copy.dir, '.contextforge', 'gateway.token'), 'utf8').trim();
  client = new Client({ name: 'follow-test', version: '0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  assert.equal((await client.listTools()).tools, []);

  writeFileSync(
    cfg,
    readFileSync(cfg, 'utf8').replace(
      '    backend: local\n',
      '    backend: local\n  - name: second\n    catalog: quickstart-example\n    backend: local\n',
    ),
  );
  const applied = await runCliAsync(['apply', '--auto-approve'], { cwd: copy.dir, path: copy.path });
  assert.is(applied.code, 0, applied.stdout + applied.stderr);
  const names = await toolsEventually([
    'quickstart__add',
    'quickstart__echo',
    'quickstart__time',
    'second__add',
    'second__echo',
    'second__time',
  ]);
  assert.equal(names, [
    'quickstart__add',
    'quickstart__echo',
    'quickstart__time',
    'second__add',
    'second__echo',
    'second__time',
  ]);
  const r = await client.callTool({ name: 'second__add', arguments: { a: 2, b: 2 } });
  assert.equal(r.content, [{ type: 'text', text: '4' }]);

  const destroyed = await runCliAsync(['destroy', '--auto-approve'], { cwd: copy.dir, path: copy.path });
  assert.is(destroyed.code, 0, destroyed.stdout + destroyed.stderr);
  assert.equal(await toolsEventually([]), []);
});

test.after(async () => {
  await client?.close().catch(() => undefined);
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    assert.is(await serve.exited, 0);
  }
  cleanupCopy(copy);
});

test.run();
