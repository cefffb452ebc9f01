// Browser and DNS-rebinding defences of the HTTP gateway, against a real gateway and real SDK
// clients: a foreign Origin gets 403 with a JSON-RPC body on every endpoint even with a valid
// token, a listed origin (and the gateway's own loopback origin) passes with CORS headers, and
// a foreign Host name is refused; plus the guard's rules for wildcard listeners.
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { RequestGuard } from '../../src/gateway/request-guard.js';
import { quietLogger, startControlledServer, text, type ControlledServer } from './support/upstreams.js';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
const ALLOWED = 'http://allowed.example:8080';
const EVIL = 'http://evil.example';
let up: ControlledServer;
let gw: Gateway;
let base = '';
let port = 0;

test.before(async () => {
  up = await startControlledServer();
  gw = createGateway({
    port: 0,
    auth: { mode: 'token', tokens: [TOKEN] },
    allowedOrigins: [ALLOWED],
    allowedHosts: ['gw.internal'],
    logger: quietLogger(),
  });
  const a = await gw.start();
  base = a.url;
  port = a.port;
  await gw.setUpstreams([{ name: 'ctl', transport: 'streamable-http', url: up.url, specHash: '1' }]);
  await gw.settled();
});

test.after(async () => {
  await gw.stop();
  await up.close();
});

const init = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const mcpHeaders = {
  authorization: `Bearer ${TOKEN}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

async function sdkClient(origin: string): Promise<Client> {
  const client = new Client({ name: 'browserish', version: '1' }, { capabilities: {} });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}`, origin } },
    }),
  );
  return client;
}

test('a foreign Origin with a valid token gets 403 and a JSON-RPC error; the SDK client cannot connect', async () => {
  const r = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...mcpHeaders, origin: EVIL }, body: init });
  assert.is(r.status, 403);
  assert.is(r.headers.get('access-control-allow-origin'), null);
  const body = (await r.json()) as { jsonrpc: string; id: null; error: { code: number; message: string } };
  assert.is(body.jsonrpc, '2.0');
  assert.is(body.id, null);
  assert.is(body.error.code, -32000);
  assert.match(body.error.message, 'gateway.allowed_origins');
  try {
    await sdkClient(EVIL);
    assert.unreachable('connect must fail');
  } catch (e) {
    assert.is((e as { code?: number }).code, 403);
  }
  assert.is(gw.sessionCount(), 0, 'no session was opened');
});

test('the same request from an allowed origin passes, with CORS headers', async () => {
  const c = await sdkClient(ALLOWED);
  assert.match(text(await c.callTool({ name: 'ctl__echo', arguments: { message: 'hi' } })), 'echo: hi');
  await c.close();
  const r = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...mcpHeaders, origin: ALLOWED }, body: init });
  assert.is(r.status, 200);
  assert.is(r.headers.get('access-control-allow-origin'), ALLOWED);
  assert.match(r.headers.get('access-control-expose-headers') ?? '', 'mcp-session-id');
  await r.body?.cancel();
  const sid = r.headers.get('mcp-session-id');
  assert.ok(sid);
  const d = await fetch(`${base}/mcp`, {
    method: 'DELETE',
    headers: { ...mcpHeaders, origin: ALLOWED, 'mcp-session-id': sid!, 'mcp-protocol-version': '2025-06-18' },
  });
  assert.is(d.status, 200);
  await d.body?.cancel();
});

test('idle client connections are kept 30 s, and clients are told so in Keep-Alive', async () => {
  // node's 5 s default lost the close-vs-reuse race on a loaded host ("other side closed").
  // node:http, since fetch does not expose hop-by-hop headers; /healthz, since the MCP
  // transport's SSE answers set Connection themselves (node then adds no Keep-Alive header).
  const agent = new Agent({ keepAlive: true });
  const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
    const req = request(`${base}/healthz`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
    });
    req.on('error', reject);
    req.end();
  });
  agent.destroy();
  assert.is(headers['keep-alive'], 'timeout=30', JSON.stringify(headers));
});

test('CORS preflight: an allowed origin gets the methods and headers, a foreign one 403', async () => {
  const ok = await fetch(`${base}/mcp`, {
    method: 'OPTIONS',
    headers: {
      origin: ALLOWED,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
  assert.is(ok.status, 204);
  assert.is(ok.headers.get('access-control-allow-origin'), ALLOWED);
  assert.match(ok.headers.get('access-control-allow-headers') ?? '', 'authorization');
  assert.match(ok.headers.get('access-control-allow-methods') ?? '', 'POST');
  const bad = await fetch(`${base}/mcp`, {
    method: 'OPTIONS',
    headers: { origin: EVIL, 'access-control-request-method': 'POST' },
  });
  assert.is(bad.status, 403);
  assert.is(bad.headers.get('access-control-allow-origin'), null);
  await bad.body?.cancel();
});

test('the gateway own loopback origin passes; another port, "null" and non-http origins do not', async () => {
  for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]) {
    const r = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...mcpHeaders, origin }, body: init });
    assert.is(r.status, 200, origin);
    await r.body?.cancel();
  }
  for (const origin of [
    `http://127.0.0.1:${port + 1}`,
    `https://127.0.0.1:${port}`,
    'null',
    'file://',
    'chrome-extension://abc',
    'not a url',
  ]) {
    const r = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...mcpHeaders, origin }, body: init });
    assert.is(r.status, 403, origin);
    await r.body?.cancel();
  }
});

test('a foreign Origin is refused on every endpoint, legacy SSE included', async () => {
  const auth = { authorization: `Bearer ${TOKEN}`, origin: EVIL };
  const paths: Array<[string, string]> = [
    ['GET', '/sse'],
    ['POST', '/messages?sessionId=x'],
    ['POST', '/servers/ctl/mcp'],
    ['GET', '/servers/ctl/sse'],
    ['GET', '/metrics'],
    ['GET', '/readyz'],
    ['GET', '/healthz'],
    ['GET', '/nowhere'],
  ];
  for (const [method, path] of paths) {
    const r = await fetch(`${base}${path}`, { method, headers: auth, body: method === 'POST' ? '{}' : undefined });
    assert.is(r.status, 403, `${method} ${path}`);
    await r.body?.cancel();
  }
  const sse = new Client({ name: 'sse', version: '1' }, { capabilities: {} });
  const headers = { authorization: `Bearer ${TOKEN}`, origin: EVIL };
  try {
    await sse.connect(
      new SSEClientTransport(new URL(`${base}/sse`), {
        requestInit: { headers },
        eventSourceInit: {
          fetch: (u, i) => fetch(u, { ...i, headers: { ...(i?.headers as Record<string, string>), ...headers } }),
        },
      }),
    );
    assert.unreachable('SSE connect must fail');
  } catch (e) {
    assert.match(String(e), '403');
  }
});

test('a foreign Host name is refused with a valid token; loopback forms and allowed_hosts pass', async () => {
  assert.is(await statusWithHost('/mcp', 'attacker.example'), 403);
  assert.is(await statusWithHost('/mcp', `attacker.example:${port}`), 403);
  assert.is(await statusWithHost('/metrics', 'attacker.example', 'GET'), 403);
  assert.is(await statusWithHost('/sse', 'attacker.example', 'GET'), 403);
  assert.is(await statusWithHost('/mcp', `localhost:${port}`), 200);
  assert.is(await statusWithHost('/mcp', `[::1]:${port}`), 200);
  assert.is(await statusWithHost('/mcp', `GW.internal:${port}`), 200);
  // Liveness stays answerable under any name; it reveals nothing.
  assert.is(await statusWithHost('/healthz', 'attacker.example', 'GET'), 200);
  assert.match(gw.metricsText(), /contextforge_gateway_rejected_requests_total\{reason="host"\} [1-9]/);
  assert.match(gw.metricsText(), /contextforge_gateway_rejected_requests_total\{reason="origin"\} [1-9]/);
});

test('guard rules: wildcard listeners take IP literals but not foreign names; names are exact', () => {
  const wild = new RequestGuard({ listenHost: '0.0.0.0', port: () => 4444 });
  assert.ok(wild.host('10.1.2.3:4444'));
  assert.ok(wild.host('[fe80::1]:4444'));
  assert.ok(wild.host('localhost'));
  assert.not.ok(wild.host('attacker.example'));
  assert.not.ok(wild.host('localhost.attacker.example'));
  assert.not.ok(wild.host(undefined));
  assert.not.ok(wild.host('user@localhost'));
  const loop = new RequestGuard({ listenHost: '127.0.0.1', port: () => 4444 });
  assert.not.ok(loop.host('10.1.2.3:4444'), 'a loopback listener takes only its own names');
  assert.is(loop.origin(undefined), 'absent');
  assert.is(loop.origin(['http://localhost:4444', 'http://evil.example']), 'denied');
  const named = new RequestGuard({
    listenHost: 'gw.example.com',
    port: () => 443,
    allowedOrigins: ['https://App.Example.com:443/'],
  });
  assert.ok(named.host('gw.example.com'));
  assert.is(named.origin('https://app.example.com'), 'allowed', 'origins compare in canonical form');
});

/** fetch cannot override Host, so this uses node:http directly. */
function statusWithHost(path: string, host: string, method = 'POST'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { ...mcpHeaders, host } }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', reject);
    req.end(method === 'POST' ? init : undefined);
  });
}

test.run();
