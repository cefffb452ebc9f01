// The periodic sync of catalog_sources in long-running hosts, with the real CLI, a real registry
// API on 127.0.0.1 and two real hosted MCP servers (the SDK over Streamable HTTP) that the
// registry entry points at (a `remotes[]` entry becomes a remote source on the process backend).
// pin: false → `up` re-syncs the changed entry and the gateway serves the new server; pinned →
// `up` warns once, keeps the copy, the lock and the served server, and `plan` after a manual
// `catalog sync` shows the change; a registry answering 500 → `watch` warns and keeps running.
// Waiting is on output lines and registry requests (sync_interval 1s), never on sleeps.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { openStore } from '../../src/state/open.js';
import { startRegistry, type FakeRegistry } from '../support/registry-server.js';
import { runCli, startCli, until, type Child, gatewayUrl } from '../watch/support.js';

const SLUG = 'io-test-hosted';
const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
const hosted: HttpServer[] = [];
const urls: Record<'alpha' | 'beta', string> = { alpha: '', beta: '' };
const dirs: string[] = [];
const registries: FakeRegistry[] = [];
const children: Child[] = [];

/** A stateless hosted MCP server with one tool named after it. */
async function startHosted(tool: string): Promise<string> {
  const http = createServer((req, res) => {
    const server = new Server({ name: tool, version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [{ name: tool, description: `The ${tool} server`, inputSchema: { type: 'object' } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, () => ({ content: [{ type: 'text', text: `${tool} answered` }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void transport.close());
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  hosted.push(http);
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

/** The registry's server.json for the hosted server, at a version and URL. */
const entry = (version: string, url: string): Record<string, unknown> => ({
  $schema: 'https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json',
  name: 'io.test/hosted',
  description: 'A hosted test server.',
  version,
  remotes: [{ type: 'streamable-http', url }],
});

function setEntry(reg: FakeRegistry, version: string, url: string): void {
  reg.entries.splice(0, reg.entries.length, { server: entry(version, url) });
}

async function stack(name: string, source: string): Promise<{ dir: string; file: string; reg: FakeRegistry }> {
  const reg = await startRegistry([{ server: entry('1.0.0', urls.alpha) }]);
  registries.push(reg);
  const dir = mkdtempSync(join(tmpdir(), `cf-psync-${name}-`));
  dirs.push(dir);
  const file = join(dir, 'contextforge.yaml');
  writeFileSync(
    file,
    [
      `name: psync-${name}-${process.pid}`,
      'backends:',
      '  local: { type: process }',
      'defaults:',
      '  guardrails_profile: unrestricted',
      'catalog_sources:',
      `  - name: ${source}`,
      `    url: ${reg.url}`,
      '    format: mcp-registry',
      '    sync_interval: 1s',
      ...(source === 'live' ? ['    pin: false'] : []),
      'runtimes:',
      '  - name: hosted',
      `    catalog: ${SLUG}`,
      '    backend: local',
      '',
    ].join('\n'),
  );
  const synced = await runCli(['catalog', 'sync', '-f', file]);
  assert.is(synced.code, 0, synced.out + synced.err);
  return { dir, file, reg };
}

function start(args: string[]): Child {
  const c = startCli(args, { env: { CONTEXTFORGE_GATEWAY_TOKEN: TOKEN } });
  children.push(c);
  return c;
}

async function stop(c: Child): Promise<number> {
  c.proc.kill('SIGINT');
  return c.done;
}

async function tools(url: string): Promise<{ names: string[]; call: (name: string) => Promise<unknown> }> {
  const client = new Client({ name: 'psync-e2e', version: '0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }),
  );
  const names = (await client.listTools()).tools.map((t) => t.name);
  return {
    names,
    call: async (name) => {
      try {
        return (await client.callTool({ name, arguments: {} })).content;
      } finally {
        await client.close();
      }
    },
  };
}

/** Resolves once the registry has answered `n` more requests than now. */
const requestsAfter = (reg: FakeRegistry, n: number): Promise<true> => {
  const from = reg.requests.length;
  return until(async () => reg.requests.length >= from + n || undefined, 120_000, `${n} more registry requests`, 50);
};

test.before(async () => {
  urls.alpha = await startHosted('alpha');
  urls.beta = await startHosted('beta');
});

test.after(async () => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.done));
  for (const r of registries) await r.close();
  for (const h of hosted) await new Promise<void>((r) => h.close(() => r()));
  for (const d of dirs) {
    await runCli(['destroy', '--auto-approve', '-f', join(d, 'contextforge.yaml')]);
    rmSync(d, { recursive: true, force: true });
  }
});

test('pin: false under up: a changed registry entry is synced and reconciled; the gateway serves the new server', async () => {
  const { dir, file, reg } = await stack('live', 'live');
  const up = start(['up', '--port', '0', '--interval', '1h', '-f', file]);
  const gateway = await gatewayUrl(up, 180_000);
  await up.waitFor(/Watching .* for changes/, 60_000);
  const before = await tools(gateway);
  assert.ok(before.names.includes('hosted__alpha'), before.names.join(', '));
  assert.equal(await before.call('hosted__alpha'), [{ type: 'text', text: 'alpha answered' }]);

  // The publisher moves the server: a new version at a new URL.
  const mark = up.mark();
  setEntry(reg, '1.1.0', urls.beta);
  await up.waitFor(
    /Catalog source live \(pin: false\) changed upstream: synced 1 entries \(io-test-hosted \(live: io\.test\/hosted\) changed version: 1\.0\.0 → 1\.1\.0\); re-planning\./,
    120_000,
    mark,
  );
  await up.waitFor(
    /Apply complete! Resources: 0 created, 1 updated|Apply complete! Resources: .*(updated|replaced)/,
    120_000,
    mark,
  );
  await up.waitFor(/Serving:/, 120_000, mark);
  assert.not.match(up.all().slice(mark), /Config changed/, 'the host acts on its own write once, as a catalog pass');
  const copy = JSON.parse(readFileSync(join(dir, '.contextforge/catalog-sources/live.json'), 'utf8')) as {
    entries: { version: string }[];
  };
  assert.is(copy.entries[0].version, '1.1.0');
  const after = await tools(gateway);
  assert.ok(after.names.includes('hosted__beta'), after.names.join(', '));
  assert.not.ok(after.names.includes('hosted__alpha'), after.names.join(', '));
  assert.equal(await after.call('hosted__beta'), [{ type: 'text', text: 'beta answered' }]);

  // Unchanged registry: further checks (304s) reconcile nothing.
  const quiet = up.mark();
  await requestsAfter(reg, 3);
  assert.not.match(up.all().slice(quiet), /changed upstream|Apply complete|Config changed/);

  const store = openStore({ backend: 'sqlite', path: join(dir, '.contextforge', 'state.db') });
  try {
    const events = store.listEvents(`psync-live-${process.pid}`, { type: 'catalog.synced' });
    assert.is(events.length, 1, JSON.stringify(events));
    assert.is(events[0].data?.source, 'live');
  } finally {
    store.close();
  }
  assert.is(await stop(up), 0, up.all());
});

test('pinned under up: an upstream change is reported once; copy, lock and served server stay; plan shows it after catalog sync', async () => {
  const { dir, file, reg } = await stack('pinned', 'official');
  const applied = await runCli(['apply', '--auto-approve', '-f', file]);
  assert.is(applied.code, 0, applied.out + applied.err);
  const copyPath = join(dir, '.contextforge/catalog-sources/official.json');
  const lockPath = join(dir, 'contextforge.lock');
  const copyBefore = readFileSync(copyPath, 'utf8');
  const lockBefore = readFileSync(lockPath, 'utf8');
  assert.match(lockBefore, /io-test-hosted/);

  const up = start(['up', '--port', '0', '--interval', '1h', '-f', file]);
  const gateway = await gatewayUrl(up, 180_000);
  await up.waitFor(/Watching .* for changes/, 60_000);

  const mark = up.mark();
  setEntry(reg, '1.1.0', urls.beta);
  const warning =
    /warning: catalog source official: 1 entry changed upstream since the lock \(io-test-hosted 1\.0\.0 → 1\.1\.0\); the host keeps running the pinned entries\. Run `contextforge catalog sync` and review the plan\./;
  await up.waitFor(warning, 120_000, mark);
  // Checks run one at a time: once the registry saw the request of the check after next, the
  // next check has finished (and printed whatever it would).
  await requestsAfter(reg, 2);
  assert.is([...up.all().slice(mark).matchAll(new RegExp(warning, 'g'))].length, 1, up.all().slice(mark));
  assert.not.match(up.all().slice(mark), /Apply complete|re-planning/);
  assert.is(readFileSync(copyPath, 'utf8'), copyBefore, 'the synced copy is untouched');
  assert.is(readFileSync(lockPath, 'utf8'), lockBefore, 'the lock is untouched');
  const served = await tools(gateway);
  assert.ok(served.names.includes('hosted__alpha'), served.names.join(', '));
  assert.equal(await served.call('hosted__alpha'), [{ type: 'text', text: 'alpha answered' }]);

  // A second, different change is news again.
  const again = up.mark();
  setEntry(reg, '1.2.0', urls.beta);
  await up.waitFor(
    /warning: catalog source official: 1 entry changed upstream since the lock \(io-test-hosted 1\.0\.0 → 1\.2\.0\)/,
    120_000,
    again,
  );
  assert.is(await stop(up), 0, up.all());

  const store = openStore({ backend: 'sqlite', path: join(dir, '.contextforge', 'state.db') });
  try {
    const events = store.listEvents(`psync-pinned-${process.pid}`, { type: 'catalog.upstream-changed' });
    assert.is(events.length, 2, JSON.stringify(events));
  } finally {
    store.close();
  }

  // status names the newest unreviewed change until the copy is synced.
  const status = await runCli(['status', '-f', file]);
  assert.is(status.code, 0, status.out + status.err);
  assert.match(
    status.out,
    /Catalog sources:\n {2}! official: catalog source official: 1 entry changed upstream since the lock, not applied \(pinned\) \(seen /,
  );

  // Reviewed the usual way: sync, then plan shows the catalog change from the lock.
  assert.is((await runCli(['catalog', 'sync', '-f', file])).code, 0);
  assert.not.match((await runCli(['status', '-f', file])).out, /Catalog sources:/);
  const plan = await runCli(['plan', '--no-discover', '-f', file]);
  assert.match(plan.out, /Catalog entries changed since contextforge\.lock:/);
  assert.match(plan.out, /io-test-hosted \(official: io\.test\/hosted\) changed version: 1\.0\.0 → 1\.2\.0/);
});

test('watch: a registry answering 500 is a warning on every check; the host keeps running and recovers', async () => {
  const { file, reg } = await stack('down', 'live');
  reg.mode = 'fail';
  const watch = start(['watch', '--interval', '1h', '-f', file]);
  await watch.waitFor(/Watching \d+ file\(s\)/, 180_000);
  const failing = /warning\[catalog-source\.unreachable\]: catalog source "live" could not be read: HTTP 500/;
  const mark = watch.mark();
  await watch.waitFor(failing, 120_000, mark);
  // The next interval tries again (and warns again), the host still running.
  await until(
    async () => [...watch.all().slice(mark).matchAll(new RegExp(failing, 'g'))].length >= 2,
    120_000,
    'a second failed check',
    50,
  );
  assert.is(watch.proc.exitCode, null);
  assert.match(watch.all(), /keeping|stays in use/);

  const back = watch.mark();
  reg.mode = 'ok';
  setEntry(reg, '1.3.0', urls.beta);
  await watch.waitFor(/Catalog source live \(pin: false\) changed upstream/, 120_000, back);
  await watch.waitFor(/Apply complete!/, 120_000, back);
  assert.is(await stop(watch), 0, watch.all());
  assert.match(watch.all(), /Stopped; the lock is released/);
});

test.run();
