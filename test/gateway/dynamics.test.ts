// The gateway following change and failure with real upstreams: setUpstreams while a client is
// connected (list_changed), upstream list_changed relayed, specHash replacement, a killed
// upstream failing fast while others keep working and coming back after restart, a 200-call
// burst through maxConcurrency 4, per-call timeout, progress relay, cancellation, /readyz.
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createGateway, type Gateway, type UpstreamSpec } from '../../src/gateway/index.js';
import {
  connectClient,
  quietLogger,
  spawnEverything,
  startControlledServer,
  text,
  waitFor,
  type ControlledServer,
  type EverythingProcess,
} from './support/upstreams.js';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
/** /readyz details and /metrics need the gateway auth. */
const authed = { headers: { authorization: `Bearer ${TOKEN}` } };
let ctl: ControlledServer;
let ev: EverythingProcess;
let gw: Gateway;
let base = '';
let client: Client;
let listChanged = 0;
let specs: UpstreamSpec[] = [];

test.before(async () => {
  [ctl, ev] = await Promise.all([startControlledServer(), spawnEverything('streamableHttp')]);
  gw = createGateway({
    port: 0,
    auth: { mode: 'token', tokens: [TOKEN] },
    logger: quietLogger(),
    pingIntervalMs: 300,
    backoff: { initialMs: 100, maxMs: 500 },
  });
  base = (await gw.start()).url;
  specs = [{ name: 'ctl', transport: 'streamable-http', url: ctl.url, specHash: 'v1' }];
  await gw.setUpstreams(specs);
  await gw.settled();
  client = await connectClient(`${base}/mcp`, TOKEN);
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
});

test.after(async () => {
  await client.close();
  await gw.stop();
  await ctl.close();
  await ev.kill();
});

const names = async (): Promise<string[]> => (await client.listTools()).tools.map((t) => t.name);

test('setUpstreams adds an upstream live: client gets list_changed and sees new tools', async () => {
  assert.not.ok((await names()).includes('ev__echo'));
  const before = listChanged;
  specs = [...specs, { name: 'ev', transport: 'streamable-http', url: ev.url, specHash: 'v1' }];
  await gw.setUpstreams(specs);
  await waitFor(() => listChanged > before, 15_000, 'tools/list_changed');
  await waitFor(async () => (await names()).includes('ev__echo'), 15_000, 'ev__echo listed');
  assert.match(text(await client.callTool({ name: 'ev__echo', arguments: { message: 'live' } })), 'live');
});

test('upstream list_changed is relayed and the new tool is routable', async () => {
  const before = listChanged;
  ctl.addTool('fresh');
  await waitFor(() => listChanged > before, 10_000, 'relayed list_changed');
  assert.ok((await names()).includes('ctl__fresh'));
  assert.is(text(await client.callTool({ name: 'ctl__fresh', arguments: {} })), 'called fresh');
});

test('unchanged specHash keeps the session; a changed one replaces it', async () => {
  const opened = ctl.sessionsOpened;
  await gw.setUpstreams(specs);
  assert.is(ctl.sessionsOpened, opened, 'no new session for an unchanged spec');
  specs = specs.map((s) => (s.name === 'ctl' ? { ...s, specHash: 'v2' } : s));
  await gw.setUpstreams(specs);
  assert.ok((await names()).includes('ctl__echo'), 'tools stay listed while the replacement connects');
  await waitFor(
    () => gw.status().find((s) => s.name === 'ctl')?.state === 'connected' && ctl.sessionsOpened === opened + 1,
    10_000,
    'replacement session',
  );
  assert.match(text(await client.callTool({ name: 'ctl__echo', arguments: { message: 'after' } })), 'echo: after');
});

test('a call to an upstream whose replacement is still opening waits for it instead of failing', async () => {
  const release = ctl.holdInitialize();
  try {
    specs = specs.map((s) => (s.name === 'ctl' ? { ...s, specHash: 'v3' } : s));
    await gw.setUpstreams(specs);
    const call = client.callTool({ name: 'ctl__echo', arguments: { message: 'held' } });
    // The replacement's handshake is held by the server: the call reaches it and waits.
    await waitFor(() => gw.status().find((s) => s.name === 'ctl')?.state === 'connecting', 10_000, 'connecting');
    let settled = false;
    void call.finally(() => (settled = true));
    await client.listTools(); // a round trip through the gateway while the call is pending
    assert.not.ok(settled, 'the call waits for the handshake');
    release();
    const r = await call;
    assert.not.ok(r.isError, text(r));
    assert.is(text(r), 'echo: held');
  } finally {
    release();
  }
});

test('a killed upstream fails fast with a clear error, others keep working, and it comes back', async () => {
  await ev.kill();
  // The liveness ping notices the dead upstream without any call.
  await waitFor(() => gw.status().find((s) => s.name === 'ev')?.state !== 'connected', 10_000, 'ev marked down');
  const r = await client.callTool({ name: 'ev__echo', arguments: { message: 'x' } });
  assert.is(r.isError, true);
  assert.match(text(r), "Runtime 'ev' is unavailable");
  assert.match(text(await client.callTool({ name: 'ctl__echo', arguments: { message: 'still' } })), 'echo: still');
  const ready = await fetch(`${base}/readyz`, authed);
  assert.is(ready.status, 200, 'failed-with-reason counts as settled');
  const body = (await ready.json()) as { upstreams: Array<{ name: string; lastError?: string }> };
  assert.ok(body.upstreams.find((u) => u.name === 'ev')?.lastError, 'reason reported');
  assert.ok((await names()).includes('ev__echo'), 'tools of a down upstream stay listed');
  await ev.restart();
  await waitFor(() => gw.status().find((s) => s.name === 'ev')?.state === 'connected', 15_000, 'ev reconnected');
  assert.match(text(await client.callTool({ name: 'ev__echo', arguments: { message: 'back' } })), 'back');
});

test('a burst of 200 concurrent calls through maxConcurrency 4 has no errors and never exceeds 4', async () => {
  specs = [...specs, { name: 'narrow', transport: 'streamable-http', url: ctl.url, specHash: 'v1', maxConcurrency: 4 }];
  await gw.setUpstreams(specs);
  await waitFor(() => gw.status().find((s) => s.name === 'narrow')?.state === 'connected', 10_000, 'narrow connected');
  await waitFor(async () => (await names()).includes('narrow__slow'), 10_000, 'narrow listed');
  ctl.maxConcurrent = 0;
  // Every call blocks at the server until released, so the bound is observed as a state (4
  // running, 196 queued at the gateway), not sampled while calls come and go at machine speed.
  const release = ctl.hold();
  const pending = Promise.all(
    Array.from({ length: 200 }, () =>
      client
        .callTool({ name: 'narrow__gated', arguments: {} })
        .catch((e: Error) => ({ isError: true, content: [{ type: 'text', text: e.message }] })),
    ),
  );
  await waitFor(
    () => ctl.running === 4 && gw.status().find((s) => s.name === 'narrow')?.queued === 196,
    60_000,
    '4 running and 196 queued',
  );
  assert.is(ctl.maxConcurrent, 4, 'concurrency bounded at 4 and used fully');
  release();
  const results = await pending;
  const errors = results.filter((r) => r.isError);
  assert.is(errors.length, 0, JSON.stringify(errors[0]));
  assert.ok(results.every((r) => text(r).startsWith('slept')));
  assert.is(ctl.maxConcurrent, 4, 'never more than 4 at once');
  const metrics = await (await fetch(`${base}/metrics`, authed)).text();
  assert.match(
    metrics,
    /contextforge_gateway_calls_total\{runtime="narrow",kind="tool",name="gated",outcome="ok"\} 200/,
  );
});

test('per-call timeout gives a clear tool error and leaves the upstream usable', async () => {
  // The timeout is far above a quick call's time and far below the slow one's (which the
  // upstream ends when it is cancelled), so neither outcome depends on how loaded the machine is.
  specs = [
    ...specs,
    { name: 'tight', transport: 'streamable-http', url: ctl.url, specHash: 'v1', callTimeoutMs: 5_000 },
  ];
  await gw.setUpstreams(specs);
  await waitFor(async () => (await names()).includes('tight__slow'), 10_000, 'tight listed');
  const r = await client.callTool({ name: 'tight__slow', arguments: { ms: 60_000 } });
  assert.is(r.isError, true);
  assert.match(text(r), "Runtime 'tight' did not answer within");
  assert.is(gw.status().find((s) => s.name === 'tight')?.state, 'connected');
  assert.match(text(await client.callTool({ name: 'tight__slow', arguments: { ms: 5 } })), 'slept 5');
  const metrics = await (await fetch(`${base}/metrics`, authed)).text();
  assert.match(
    metrics,
    /contextforge_gateway_call_errors_total\{runtime="tight",kind="tool",name="slow",reason="timeout"\} 1/,
  );
});

test('progress notifications from the upstream reach the downstream caller', async () => {
  const seen: Array<{ progress: number; total?: number; message?: string }> = [];
  const r = await client.callTool({ name: 'ctl__progress', arguments: { steps: 3 } }, undefined, {
    onprogress: (p) => void seen.push(p),
  });
  assert.is(text(r), 'done 3');
  assert.equal(
    seen.map((p) => [p.progress, p.total, p.message]),
    [
      [1, 3, 'step 1'],
      [2, 3, 'step 2'],
      [3, 3, 'step 3'],
    ],
  );
});

test('downstream cancellation aborts the upstream request', async () => {
  const before = ctl.cancelled;
  const ac = new AbortController();
  const call = client.callTool({ name: 'ctl__slow', arguments: { ms: 20_000 } }, undefined, { signal: ac.signal });
  await waitFor(() => gw.status().find((s) => s.name === 'ctl')!.inFlight === 1, 5000, 'call in flight');
  ac.abort('test cancels');
  await call.then(
    () => assert.unreachable('must reject'),
    () => undefined,
  );
  await waitFor(() => ctl.cancelled === before + 1, 5000, 'upstream saw the cancellation');
  assert.is(gw.status().find((s) => s.name === 'ctl')!.inFlight, 0);
});

test('/readyz is 503 while an upstream is still connecting, then 200 once it failed with a reason', async () => {
  // A TCP listener that accepts and never answers keeps the first attempt in "connecting".
  const held: Socket[] = [];
  const tarpit = createTcpServer((s) => void held.push(s));
  await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', r));
  const port = (tarpit.address() as AddressInfo).port;
  try {
    await gw.setUpstreams([
      ...specs,
      {
        name: 'stuck',
        transport: 'streamable-http',
        url: `http://127.0.0.1:${port}/mcp`,
        specHash: 'v1',
        callTimeoutMs: 1500,
      },
    ]);
    const r = await fetch(`${base}/readyz`, authed);
    assert.is(r.status, 503);
    const body = (await r.json()) as { ready: boolean; upstreams: Array<{ name: string; state: string }> };
    assert.is(body.ready, false);
    assert.is(body.upstreams.find((u) => u.name === 'stuck')?.state, 'connecting');
    await waitFor(async () => (await fetch(`${base}/readyz`, authed)).status === 200, 10_000, 'ready after failure');
    assert.match(gw.status().find((s) => s.name === 'stuck')?.lastError ?? '', 'Connection failed');
  } finally {
    await gw.setUpstreams(specs);
    for (const s of held) s.destroy();
    await new Promise<void>((r) => tarpit.close(() => r()));
  }
});

test('an upstream that forgot the session (404) is re-initialized and the call retried once', async () => {
  const other = await startControlledServer();
  try {
    // No ping: only the call itself can discover that the session is gone.
    await gw.setUpstreams([
      ...specs,
      { name: 'phoenix', transport: 'streamable-http', url: other.url, specHash: 'v1', pingIntervalMs: 0 },
    ]);
    await waitFor(async () => (await names()).includes('phoenix__echo'), 10_000, 'phoenix listed');
    assert.match(text(await client.callTool({ name: 'phoenix__echo', arguments: { message: 'one' } })), 'echo: one');
    await other.restart();
    const r = await client.callTool({ name: 'phoenix__echo', arguments: { message: 'two' } });
    assert.is(r.isError, undefined, text(r));
    assert.match(text(r), 'echo: two');
    // The gateway's shared session, this client's own link, and the link reopened after the 404.
    assert.is(other.sessionsOpened, 3, 'a fresh upstream session was opened for this client');
  } finally {
    await gw.setUpstreams(specs);
    await other.close();
  }
});

test('removing an upstream that is still connecting abandons the attempt', async () => {
  const sockets: Socket[] = [];
  const tarpit = createTcpServer((s) => void sockets.push(s));
  await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', r));
  const port = (tarpit.address() as AddressInfo).port;
  try {
    await gw.setUpstreams([
      ...specs,
      {
        name: 'hung',
        transport: 'streamable-http',
        url: `http://127.0.0.1:${port}/mcp`,
        specHash: 'v1',
        callTimeoutMs: 120_000,
      },
    ]);
    await waitFor(() => sockets.length > 0, 10_000, 'the attempt reached the tarpit');
    assert.is(gw.status().find((s) => s.name === 'hung')?.state, 'connecting');
    await gw.setUpstreams(specs);
    assert.not.ok(gw.status().some((s) => s.name === 'hung'));
    // The abandoned attempt must not come back as a session later.
    await new Promise((r) => setTimeout(r, 300));
    assert.not.ok(gw.status().some((s) => s.name === 'hung'));
    assert.not.ok((await names()).some((n) => n.startsWith('hung__')));
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => tarpit.close(() => r()));
  }
});

test('removing an upstream drops its tools and notifies', async () => {
  const before = listChanged;
  specs = specs.filter((s) => s.name !== 'tight');
  await gw.setUpstreams(specs);
  await waitFor(() => listChanged > before, 10_000, 'list_changed on removal');
  assert.not.ok((await names()).some((n) => n.startsWith('tight__')));
});

test.run();
