// Downstream auth against a real gateway and real SDK clients: missing, wrong, valid bearer
// tokens; valid, expired, not-yet-valid, exp-less and wrongly signed HS256 JWTs; /metrics and
// /readyz behind auth; explicit auth none with its warning; and a token-mode gateway with
// nothing configured refuses to start.
import { request } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createGateway, gatewayOptionProblems, signHs256, verifyHs256, type Gateway } from '../../src/gateway/index.js';
import { connectClient, quietLogger, startControlledServer, text, type ControlledServer } from './support/upstreams.js';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
const SECRET = `secret-${Math.random().toString(36).slice(2)}`;
let up: ControlledServer;
let gw: Gateway;
let base = '';

test.before(async () => {
  up = await startControlledServer();
  gw = createGateway({ port: 0, auth: { mode: 'token', tokens: [TOKEN], jwtSecret: SECRET }, logger: quietLogger() });
  base = (await gw.start()).url;
  await gw.setUpstreams([{ name: 'ctl', transport: 'streamable-http', url: up.url, specHash: 'a' }]);
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

async function post(auth?: string): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (auth) headers.authorization = auth;
  return fetch(`${base}/mcp`, { method: 'POST', headers, body: init });
}

test('no token: 401 with a Bearer challenge naming the realm', async () => {
  const r = await post();
  assert.is(r.status, 401);
  assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="contextforge"/);
  await r.body?.cancel();
});

test('wrong token: 401 invalid_token, and the token is not echoed', async () => {
  const r = await post('Bearer not-the-token');
  assert.is(r.status, 401);
  assert.match(r.headers.get('www-authenticate') ?? '', 'error="invalid_token"');
  assert.not.match(await r.text(), 'not-the-token');
});

test('valid token: an SDK client connects and calls a tool', async () => {
  const c = await connectClient(`${base}/mcp`, TOKEN);
  assert.match(text(await c.callTool({ name: 'ctl__echo', arguments: { message: 'ok' } })), 'echo: ok');
  await c.close();
});

test('SDK client without token is refused', async () => {
  try {
    await connectClient(`${base}/mcp`);
    assert.unreachable('connect must fail');
  } catch (e) {
    assert.is((e as { code?: number }).code, 401);
    assert.match(String(e), 'Missing bearer token');
  }
});

test('valid HS256 JWT is accepted', async () => {
  const jwt = signHs256({ sub: 'ci', exp: Math.floor(Date.now() / 1000) + 300 }, SECRET);
  const c = await connectClient(`${base}/mcp`, jwt);
  assert.ok((await c.listTools()).tools.some((t) => t.name === 'ctl__slow'));
  await c.close();
});

test('expired, not-yet-valid, wrongly signed and alg-none JWTs are 401', async () => {
  const now = Math.floor(Date.now() / 1000);
  const bad = [
    signHs256({ sub: 'ci', exp: now - 3600 }, SECRET),
    signHs256({ sub: 'ci', nbf: now + 3600 }, SECRET),
    signHs256({ sub: 'ci', exp: now + 300 }, 'another-secret'),
    `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`,
  ];
  for (const jwt of bad) {
    const r = await post(`Bearer ${jwt}`);
    assert.is(r.status, 401, jwt);
    await r.body?.cancel();
  }
  assert.equal(verifyHs256(bad[0], SECRET), { ok: false, reason: 'JWT has expired.', invalidToken: true });
});

test('a JWT without exp is refused by default and accepted with allowNoExp', async () => {
  const noExp = signHs256({ sub: 'forever' }, SECRET);
  const r = await post(`Bearer ${noExp}`);
  assert.is(r.status, 401);
  assert.match(await r.text(), 'no exp claim');
  const lenient = createGateway({
    port: 0,
    auth: { mode: 'token', jwtSecret: SECRET, allowNoExp: true },
    logger: quietLogger(),
  });
  const { url } = await lenient.start();
  try {
    const c = await connectClient(`${url}/mcp`, noExp);
    assert.equal((await c.listTools()).tools, []);
    await c.close();
  } finally {
    await lenient.stop();
  }
  assert.equal(verifyHs256(noExp, SECRET, { allowNoExp: true }), {
    ok: true,
    subject: 'forever',
    principal: 'jwt:forever',
  });
});

test('/healthz is open; /metrics needs the token; /readyz without it names nothing', async () => {
  const h = await fetch(`${base}/healthz`);
  assert.is(h.status, 200);
  await h.body?.cancel();
  const m = await fetch(`${base}/metrics`);
  assert.is(m.status, 401);
  assert.match(m.headers.get('www-authenticate') ?? '', /^Bearer realm="contextforge"/);
  assert.not.match(await m.text(), 'contextforge_gateway');
  const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } });
  assert.is(wrong.status, 401);
  await wrong.body?.cancel();
  const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.is(ok.status, 200);
  assert.match(await ok.text(), 'contextforge_gateway_upstream_up{runtime="ctl"');
  const anon = await fetch(`${base}/readyz`);
  assert.is(anon.status, 200);
  const anonText = await anon.text();
  assert.equal(JSON.parse(anonText), { ready: true });
  assert.not.match(anonText, 'ctl');
  assert.not.match(anonText, up.url.replace(/\/mcp$/, ''));
  const full = (await (await fetch(`${base}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
    upstreams: Array<{ name: string }>;
  };
  assert.equal(
    full.upstreams.map((u) => u.name),
    ['ctl'],
  );
});

test('metrics: public serves /metrics without a token, and nothing else opens', async () => {
  const pub = createGateway({
    port: 0,
    auth: { mode: 'token', tokens: [TOKEN] },
    metrics: 'public',
    logger: quietLogger(),
  });
  const { url } = await pub.start();
  try {
    const m = await fetch(`${url}/metrics`);
    assert.is(m.status, 200);
    assert.match(await m.text(), '# TYPE contextforge_gateway_calls_total counter');
    const r = await fetch(`${url}/readyz`);
    assert.equal(await r.json(), { ready: true });
    const mcp = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: init,
    });
    assert.is(mcp.status, 401);
    await mcp.body?.cancel();
  } finally {
    await pub.stop();
  }
});

test('auth none must be explicit, logs a warning, and lets clients in', async () => {
  const lines: string[] = [];
  const open = createGateway({ port: 0, auth: { mode: 'none' }, logger: quietLogger(lines) });
  const { url } = await open.start();
  try {
    assert.ok(
      lines.some((l) => l.startsWith('warn') && l.includes('authentication is disabled')),
      lines.join('\n'),
    );
    const c = await connectClient(`${url}/mcp`);
    assert.equal((await c.listTools()).tools, []);
    await c.close();
    // Without auth, a loopback gateway rejects foreign Host names (DNS rebinding).
    assert.is(await statusWithHost(`${url}/mcp`, 'evil.example'), 403);
    assert.is(await statusWithHost(`${url}/healthz`, 'evil.example'), 200);
  } finally {
    await open.stop();
  }
});

test('token mode with no token and no secret refuses to start with a clear message', async () => {
  const problems = gatewayOptionProblems({ auth: { mode: 'token' } });
  assert.is(problems.length, 1);
  assert.match(problems[0], 'no bearer token or JWT secret');
  const g = createGateway({ port: 0, auth: { mode: 'token', tokens: [] }, logger: quietLogger() });
  try {
    await g.start();
    assert.unreachable('start must reject');
  } catch (e) {
    assert.match((e as Error).message, 'Gateway options are not valid');
  }
});

/** fetch cannot override Host, so this uses node:http directly. */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { host, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(init);
  });
}

test.run();
