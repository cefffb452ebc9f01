// Downstream response mode: a request that asks for no progress is answered as plain JSON;
// one with a progress token gets an SSE stream carrying the relayed progress, then its result;
// a bad protocol version on a plain request still gets the SDK's 400; cancellation still works;
// oversized and malformed bodies are refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { quietLogger, startControlledServer, type ControlledServer } from './support/upstreams.js';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
let up: ControlledServer;
let gw: Gateway;
let base = '';
const headers = {
  authorization: `Bearer ${TOKEN}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

test.before(async () => {
  up = await startControlledServer();
  gw = createGateway({ port: 0, auth: { mode: 'token', tokens: [TOKEN] }, logger: quietLogger() });
  base = (await gw.start()).url;
  await gw.setUpstreams([{ name: 'ctl', transport: 'streamable-http', url: up.url, specHash: '1' }]);
  await gw.settled();
});

test.after(async () => {
  await gw.stop();
  await up.close();
});

async function session(): Promise<Record<string, string>> {
  const init = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };
  const r = await fetch(`${base}/mcp`, { method: 'POST', headers, body: JSON.stringify(init) });
  await r.text();
  const sid = r.headers.get('mcp-session-id');
  assert.ok(sid, 'session id issued');
  const h = { ...headers, 'mcp-session-id': sid!, 'mcp-protocol-version': '2025-06-18' };
  const n = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: h,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  assert.is(n.status, 202);
  return h;
}

const post = (h: Record<string, string>, body: unknown): Promise<Response> =>
  fetch(`${base}/mcp`, { method: 'POST', headers: h, body: JSON.stringify(body) });

test('a call without a progress token is answered as JSON', async () => {
  const h = await session();
  const r = await post(h, {
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: { name: 'ctl__echo', arguments: { message: 'hi' } },
  });
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.is(r.headers.get('mcp-session-id'), h['mcp-session-id']);
  const msg = (await r.json()) as { id: number; result: { content: Array<{ text: string }> } };
  assert.is(msg.id, 7);
  assert.is(msg.result.content[0].text, 'echo: hi');
  const list = await post(h, { jsonrpc: '2.0', id: 'l', method: 'tools/list' });
  assert.match(list.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(((await list.json()) as { result: { tools: unknown[] } }).result.tools.length >= 3);
});

test('a call with a progress token streams the relayed progress, then the result', async () => {
  const h = await session();
  const r = await post(h, {
    jsonrpc: '2.0',
    id: 8,
    method: 'tools/call',
    params: { name: 'ctl__progress', arguments: { steps: 3 }, _meta: { progressToken: 'p1' } },
  });
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = (await r.text())
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map(
      (l) =>
        JSON.parse(l.slice(6)) as {
          method?: string;
          id?: number;
          params?: { progressToken?: string; progress?: number };
        },
    );
  const progress = events.filter((e) => e.method === 'notifications/progress');
  assert.equal(
    progress.map((p) => [p.params?.progressToken, p.params?.progress]),
    [
      ['p1', 1],
      ['p1', 2],
      ['p1', 3],
    ],
  );
  assert.is(events[events.length - 1].id, 8);
});

test("protocol errors on a plain request are still the SDK transport's", async () => {
  const h = await session();
  const bad = await post(
    { ...h, 'mcp-protocol-version': '1999-01-01' },
    { jsonrpc: '2.0', id: 9, method: 'tools/list' },
  );
  assert.is(bad.status, 400);
  await bad.text();
  const noAccept = await post({ ...h, accept: 'application/json' }, { jsonrpc: '2.0', id: 10, method: 'tools/list' });
  assert.is(noAccept.status, 406);
  await noAccept.text();
});

test('a body over 4 MiB gets 413; malformed JSON gets 400 with a parse error', async () => {
  const h = await session();
  const big = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: h,
    body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'x'.repeat(5 * 1024 * 1024)}"}}`,
  });
  assert.is(big.status, 413);
  assert.match(((await big.json()) as { error: { message: string } }).error.message, '4 MiB');
  const bad = await fetch(`${base}/mcp`, { method: 'POST', headers: h, body: '{"jsonrpc":' });
  assert.is(bad.status, 400);
  assert.is(((await bad.json()) as { error: { code: number } }).error.code, -32700);
});

test('a JSON-path call is cancelled upstream by notifications/cancelled', async () => {
  const h = await session();
  const before = up.cancelled;
  const calls = up.calls;
  const pending = post(h, {
    jsonrpc: '2.0',
    id: 11,
    method: 'tools/call',
    params: { name: 'ctl__slow', arguments: { ms: 20_000 } },
  });
  // The session's own upstream link opens on its first call: cancel once the upstream runs it.
  for (const deadline = Date.now() + 60_000; up.calls === calls && Date.now() < deadline;)
    await new Promise((r) => setTimeout(r, 20));
  const c = await post(h, {
    jsonrpc: '2.0',
    method: 'notifications/cancelled',
    params: { requestId: 11, reason: 'test' },
  });
  assert.is(c.status, 202);
  const deadline = Date.now() + 60_000;
  while (up.cancelled === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.is(up.cancelled, before + 1, 'upstream saw the cancellation');
  // A cancelled request gets no response (MCP); ending the session releases the held request.
  const d = await fetch(`${base}/mcp`, { method: 'DELETE', headers: h });
  await d.body?.cancel();
  const r = await pending;
  const msg = (await r.json()) as { id: number; error?: { message: string } };
  assert.is(msg.id, 11);
  assert.ok(msg.error, 'closed session answers the held request with an error');
});

test.run();
