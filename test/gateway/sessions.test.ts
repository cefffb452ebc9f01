// Downstream session lifecycle: a session id routes only to its own endpoint, DELETE ends it,
// a client that vanished without DELETE is closed after the idle period, while a connected
// client with its notification stream open is kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import {
  connectClient,
  quietLogger,
  startControlledServer,
  text,
  waitFor,
  type ControlledServer,
} from './support/upstreams.js';

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
  gw = createGateway({ port: 0, auth: { mode: 'token', tokens: [TOKEN] }, logger: quietLogger(), sessionIdleMs: 1000 });
  base = (await gw.start()).url;
  await gw.setUpstreams([{ name: 'ctl', transport: 'streamable-http', url: up.url, specHash: '1' }]);
  await gw.settled();
});

test.after(async () => {
  await gw.stop();
  await up.close();
});

async function rawSession(path: string): Promise<string> {
  const init = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };
  const r = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(init) });
  assert.is(r.status, 200);
  await r.text();
  const sid = r.headers.get('mcp-session-id');
  assert.ok(sid, 'session id issued');
  const n = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': sid!, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  assert.is(n.status, 202);
  return sid!;
}

async function listStatus(path: string, sid: string): Promise<number> {
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
  });
  await r.text();
  return r.status;
}

test('a session id works only on the endpoint that issued it', async () => {
  const sid = await rawSession('/mcp');
  assert.is(await listStatus('/mcp', sid), 200);
  assert.is(await listStatus('/servers/ctl/mcp', sid), 404);
});

test('DELETE ends a session', async () => {
  const sid = await rawSession('/mcp');
  const d = await fetch(`${base}/mcp`, {
    method: 'DELETE',
    headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' },
  });
  assert.is(d.status, 200);
  await d.body?.cancel();
  assert.is(await listStatus('/mcp', sid), 404);
});

test('an idle session without an open stream is closed; a connected client is kept', async () => {
  const client = await connectClient(`${base}/mcp`, TOKEN);
  const sid = await rawSession('/mcp');
  // Sessions left by earlier tests idle out too; the client's own stream keeps it alone open.
  await waitFor(() => gw.sessionCount() === 1, 15_000, 'idle sessions evicted');
  assert.is(await listStatus('/mcp', sid), 404, 'vanished client evicted');
  assert.match(text(await client.callTool({ name: 'ctl__echo', arguments: { message: 'alive' } })), 'echo: alive');
  await client.close();
});

test.run();
