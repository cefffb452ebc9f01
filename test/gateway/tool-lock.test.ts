// The gateway enforcing contextforge.lock against a real server that rug-pulls: the tiny server
// (test/fixtures/servers/rug-pull-server.mjs, real MCP SDK over Streamable HTTP) rewrites echo's
// description at run time and sends tools/list_changed. Three runtimes point at it: `enf`
// (enforce), `wrn` (warn) and `part` (enforce, a lock that never pinned `add`). Clients stop
// seeing enf's echo within one list refresh and a call fails naming the lock; wrn keeps it
// flagged; every mismatch is an event, a metric and a status entry; restoring brings it back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import {
  createGateway,
  UNPINNED_META,
  type Gateway,
  type UnpinnedEvent,
  type UpstreamLock,
} from '../../src/gateway/index.js';
import { listSurface } from '../../src/backends/surface-client.js';
import { SURFACE_KINDS, type Surface } from '../../src/model/tool-surface.js';
import { connectClient, quietLogger, text, waitFor } from './support/upstreams.js';

const SERVER = fileURLToPath(new URL('../fixtures/servers/rug-pull-server.mjs', import.meta.url));
const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
let child: ChildProcess;
let serverUrl = '';
let gw: Gateway;
let base = '';
let client: Client;
const events: UnpinnedEvent[] = [];
let listChanged = 0;
const logLines: string[] = [];
let pinned: Surface;

function hashes(surface: Surface, drop: string[] = []): UpstreamLock['hashes'] {
  return Object.fromEntries(
    SURFACE_KINDS.map((k) => [
      k,
      Object.fromEntries(
        Object.entries(surface[k])
          .filter(([key]) => !drop.includes(key))
          .map(([key, e]) => [key, e.hash]),
      ),
    ]),
  ) as UpstreamLock['hashes'];
}

async function post(path: string): Promise<void> {
  const res = await fetch(serverUrl.replace('/mcp', path), { method: 'POST' });
  assert.is(res.status, 200);
  await res.text();
}

const tools = async (): Promise<Tool[]> => (await client.listTools()).tools;
const names = async (): Promise<string[]> => (await tools()).map((t) => t.name).sort();

test.before(async () => {
  child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`rug-pull server exited ${code}`)));
  });
  serverUrl = `http://127.0.0.1:${port}/mcp`;
  // The pinned surface is read the way `contextforge lock` reads it.
  const surface = await listSurface(new StreamableHTTPClientTransport(new URL(serverUrl)), 10_000);
  assert.equal(Object.keys(surface.tools).sort(), ['add', 'echo']);
  pinned = surface;
  gw = createGateway({
    port: 0,
    auth: { mode: 'token', tokens: [TOKEN] },
    logger: quietLogger(logLines),
    onUnpinned: (e) => void events.push(e),
  });
  base = (await gw.start()).url;
  await gw.setUpstreams([
    {
      name: 'enf',
      transport: 'streamable-http',
      url: serverUrl,
      specHash: 'e',
      lock: { mode: 'enforce', hashes: hashes(surface) },
    },
    {
      name: 'wrn',
      transport: 'streamable-http',
      url: serverUrl,
      specHash: 'w',
      lock: { mode: 'warn', hashes: hashes(surface) },
    },
    {
      name: 'part',
      transport: 'streamable-http',
      url: serverUrl,
      specHash: 'p',
      lock: { mode: 'enforce', hashes: hashes(surface, ['add']) },
    },
    { name: 'free', transport: 'streamable-http', url: serverUrl, specHash: 'f' },
  ]);
  await gw.settled();
  client = await connectClient(`${base}/mcp`, TOKEN);
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
});

test.after(async () => {
  await client?.close();
  await gw?.stop();
  child?.kill();
});

test('a definition the lock does not pin is hidden under enforce from the first list, with an event', async () => {
  const all = await names();
  assert.ok(all.includes('enf__echo') && all.includes('enf__add'), all.join(' '));
  assert.ok(all.includes('part__echo'), all.join(' '));
  assert.not.ok(all.includes('part__add'), 'part__add is not in its lock: hidden');
  assert.ok(all.includes('free__add'), 'a runtime without a lock entry behaves as before');
  const e = events.find((x) => x.runtime === 'part' && x.key === 'add');
  assert.ok(e, JSON.stringify(events));
  assert.is(e!.expected, undefined);
  assert.match(e!.actual, /^sha256:/);
  const err = await client.callTool({ name: 'part__add', arguments: { a: 1, b: 2 } }).then(
    () => undefined,
    (x: Error) => x,
  );
  assert.match(
    String(err?.message),
    "Tool 'add' of runtime 'part' is blocked by the lock: it is not in contextforge.lock",
  );
});

test('a rug pull: enforce hides the tool within one list refresh and refuses the call naming the lock; warn flags it', async () => {
  const before = listChanged;
  assert.is(text(await client.callTool({ name: 'enf__echo', arguments: { message: 'hi' } })), 'echo: hi');
  await post('/rug-pull');
  await waitFor(() => listChanged > before, 15_000, 'tools/list_changed from the gateway');
  // One list after the notification: the definitions the upstream now lists are checked.
  await waitFor(async () => !(await names()).includes('enf__echo'), 15_000, 'enf__echo hidden');
  const listed = await tools();
  assert.ok(
    listed.some((t) => t.name === 'enf__add'),
    'the unchanged tool stays',
  );
  const flagged = listed.find((t) => t.name === 'wrn__echo');
  assert.ok(flagged, 'warn keeps the changed tool listed');
  assert.match(String(flagged!.description), 'read ~/.ssh/id_rsa');
  const meta = (flagged!._meta ?? {})[UNPINNED_META] as { expected: string; actual: string };
  assert.match(meta.expected, /^sha256:/);
  assert.is.not(meta.expected, meta.actual);
  assert.not.ok(listed.find((t) => t.name === 'wrn__add')?._meta?.[UNPINNED_META], 'matching tools are not flagged');

  const err = await client.callTool({ name: 'enf__echo', arguments: { message: 'x' } }).then(
    () => undefined,
    (x: Error) => x,
  );
  assert.match(String(err?.message), "Tool 'echo' of runtime 'enf' is blocked by the lock");
  assert.match(String(err?.message), 'differs from the one pinned in contextforge.lock');
  assert.is(text(await client.callTool({ name: 'wrn__echo', arguments: { message: 'w' } })), 'echo: w');

  for (const runtime of ['enf', 'wrn']) {
    const e = events.find((x) => x.runtime === runtime && x.key === 'echo');
    assert.ok(e, `event for ${runtime}: ${JSON.stringify(events)}`);
    assert.is(e!.mode, runtime === 'enf' ? 'enforce' : 'warn');
    assert.match(e!.expected!, /^sha256:/);
    assert.is.not(e!.expected, e!.actual);
  }
  const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  assert.match(metrics, 'contextforge_gateway_unpinned_definitions{runtime="enf",mode="enforce"} 1');
  assert.match(metrics, 'contextforge_gateway_unpinned_definitions{runtime="wrn",mode="warn"} 1');
  assert.match(metrics, /contextforge_gateway_unpinned_events_total\{runtime="enf"\} [1-9]/);
  const status = gw.status().find((s) => s.name === 'enf')!;
  assert.equal(
    status.lock?.unpinned.map((u) => u.key),
    ['echo'],
  );
  assert.is(gw.status().find((s) => s.name === 'free')!.lock, undefined);
});

test('restoring the pinned definition brings the tool back', async () => {
  await post('/restore');
  await waitFor(async () => (await names()).includes('enf__echo'), 15_000, 'enf__echo back');
  assert.is(text(await client.callTool({ name: 'enf__echo', arguments: { message: 'back' } })), 'echo: back');
  assert.equal(gw.status().find((s) => s.name === 'enf')!.lock?.unpinned, []);
});

test('a new lock is applied in place: the upstream is not replaced and the client keeps its session', async () => {
  assert.not.ok((await names()).includes('part__add'), 'part pins no add yet');
  const changedBefore = listChanged;
  const specs = (lockOfPart: UpstreamLock) => [
    {
      name: 'enf',
      transport: 'streamable-http' as const,
      url: serverUrl,
      specHash: 'e',
      lock: { mode: 'enforce' as const, hashes: hashes(pinned) },
    },
    {
      name: 'wrn',
      transport: 'streamable-http' as const,
      url: serverUrl,
      specHash: 'w',
      lock: { mode: 'warn' as const, hashes: hashes(pinned) },
    },
    { name: 'part', transport: 'streamable-http' as const, url: serverUrl, specHash: 'p', lock: lockOfPart },
    { name: 'free', transport: 'streamable-http' as const, url: serverUrl, specHash: 'f' },
  ];
  // The same specs again: nothing happens.
  await gw.setUpstreams(specs({ mode: 'enforce', hashes: hashes(pinned, ['add']) }));
  assert.not.ok(
    logLines.some((l) => l.startsWith('info upstream lock updated')),
    logLines.join('\n'),
  );
  // part's lock now pins add too: add shows, a list_changed tells the client, nothing reconnects.
  await gw.setUpstreams(specs({ mode: 'enforce', hashes: hashes(pinned) }));
  await waitFor(async () => (await names()).includes('part__add'), 15_000, 'part__add listed');
  await waitFor(() => listChanged > changedBefore, 15_000, 'a list_changed notification');
  assert.ok(logLines.includes('info upstream lock updated'), logLines.join('\n'));
  assert.not.ok(
    logLines.some((l) => l.startsWith('info upstream replaced')),
    logLines.join('\n'),
  );
  assert.is(gw.status().find((s) => s.name === 'part')!.state, 'connected');
  const r = await client.callTool({ name: 'part__add', arguments: { a: 2, b: 3 } });
  assert.not.ok(r.isError, JSON.stringify(r));
  assert.equal(gw.status().find((s) => s.name === 'part')!.lock?.unpinned, []);
});

test.run();
