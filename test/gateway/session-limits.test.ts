// Session caps and request timeouts against a real gateway and real SDK clients: the cap per
// principal (429) and in total (503) answer with a JSON-RPC error naming the setting, legacy
// SSE counts too, closing a session frees its place, a refused initialize holds none; a body
// that stalls after a valid token gets 408 and headers that never finish are cut.
import { connect, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { connectClient, quietLogger, waitFor } from './support/upstreams.js';

const A = `tok-a-${Math.random().toString(36).slice(2)}`;
const B = `tok-b-${Math.random().toString(36).slice(2)}`;
let gw: Gateway;
let base = '';
let port = 0;

test.before(async () => {
  gw = createGateway({
    port: 0,
    auth: { mode: 'token', tokens: [A, B] },
    maxSessions: 3,
    maxSessionsPerPrincipal: 2,
    bodyIdleTimeoutMs: 300,
    headersTimeoutMs: 400,
    requestTimeoutMs: 5000,
    logger: quietLogger(),
  });
  const a = await gw.start();
  base = a.url;
  port = a.port;
});

test.after(async () => {
  await gw.stop();
});

const init = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

async function refusal(token: string): Promise<{ status: number; message: string }> {
  const r = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: init,
  });
  const body = (await r.json()) as { jsonrpc: string; error: { code: number; message: string } };
  assert.is(body.jsonrpc, '2.0');
  assert.is(body.error.code, -32000);
  return { status: r.status, message: body.error.message };
}

test('per-principal and total caps refuse with a clear error, and free when sessions close', async () => {
  const a1 = await connectClient(`${base}/mcp`, A);
  const a2 = await connectClient(`${base}/mcp`, A);
  const perPrincipal = await refusal(A);
  assert.is(perPrincipal.status, 429);
  assert.match(perPrincipal.message, 'Session limit reached');
  assert.match(perPrincipal.message, 'gateway.max_sessions_per_principal');
  try {
    await connectClient(`${base}/mcp`, A);
    assert.unreachable('a third session for A must be refused');
  } catch (e) {
    assert.is((e as { code?: number }).code, 429);
  }
  // B is another principal: it gets the last place in total, then the total cap applies to it.
  const b1 = await connectClient(`${base}/mcp`, B);
  const total = await refusal(B);
  assert.is(total.status, 503);
  assert.match(total.message, 'gateway.max_sessions)');
  assert.is(gw.sessionCount(), 3);
  assert.match(gw.metricsText(), /contextforge_gateway_rejected_requests_total\{reason="session-limit"\} [1-9]/);

  // Closing a session (DELETE by the SDK client) frees its place for anyone.
  const freed = new Promise<void>((resolve) => {
    const off = gw.onSessionCount((n) => {
      if (n === 2) {
        off();
        resolve();
      }
    });
  });
  await end(a1);
  await freed;
  const b2 = await connectClient(`${base}/mcp`, B);
  assert.is(gw.sessionCount(), 3);
  for (const c of [a2, b1, b2]) await end(c);
  assert.is(gw.sessionCount(), 0);
});

test('legacy SSE sessions count against the caps and free their place when the stream ends', async () => {
  const sse = async (): Promise<Client> => {
    const c = new Client({ name: 'sse', version: '1' }, { capabilities: {} });
    const headers = { authorization: `Bearer ${A}` };
    await c.connect(
      new SSEClientTransport(new URL(`${base}/sse`), {
        requestInit: { headers },
        eventSourceInit: {
          fetch: (u, i) => fetch(u, { ...i, headers: { ...(i?.headers as Record<string, string>), ...headers } }),
        },
      }),
    );
    return c;
  };
  const s1 = await sse();
  const s2 = await sse();
  assert.is(gw.sessionCount(), 2);
  const r = await fetch(`${base}/sse`, { headers: { authorization: `Bearer ${A}` } });
  assert.is(r.status, 429);
  assert.match(((await r.json()) as { error: { message: string } }).error.message, 'Session limit reached');
  await s1.close();
  await waitFor(() => gw.sessionCount() === 1, 10_000, 'SSE session released');
  const s3 = await sse();
  await s2.close();
  await s3.close();
  await waitFor(() => gw.sessionCount() === 0, 10_000, 'SSE sessions closed');
});

test('refused initializes hold no place: 30 of them with one place left, then a real client fits', async () => {
  const held = [await connectClient(`${base}/mcp`, A), await connectClient(`${base}/mcp`, B)];
  for (let i = 0; i < 30; i++) {
    const r = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${B}`,
        'content-type': 'text/plain',
        accept: 'application/json, text/event-stream',
      },
      body: init,
    });
    assert.is(r.status, 415);
    await r.body?.cancel();
  }
  const last = await connectClient(`${base}/mcp`, B);
  assert.is(gw.sessionCount(), 3);
  for (const c of [...held, last]) await end(c);
  assert.is(gw.sessionCount(), 0);
});

test('a body that stalls after a valid token is answered 408 and the connection closed', async () => {
  const sock = await rawSocket();
  sock.write(
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${A}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${init.length}\r\n\r\n${init.slice(0, 20)}`,
  );
  const answer = await untilClosed(sock);
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.match(answer, '"jsonrpc":"2.0"');
  assert.match(answer, 'Request body stalled');
  assert.is(gw.sessionCount(), 0);
});

test('headers that never finish are cut by the headers timeout', async () => {
  const sock = await rawSocket();
  sock.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${A}\r\n`);
  const answer = await untilClosed(sock);
  assert.match(answer, /^HTTP\/1\.1 408 /);
});

/** Ends a Streamable HTTP session the way a well-behaved client does: DELETE, then close. */
async function end(c: Client): Promise<void> {
  await (c.transport as StreamableHTTPClientTransport).terminateSession();
  await c.close();
}

function rawSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection. */
function untilClosed(sock: Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    sock.on('data', (d: Buffer) => void (out += d.toString()));
    sock.once('close', () => resolve(out));
  });
}

test.run();
