// The approval webhook against a real HTTP server on 127.0.0.1: retried with backoff on 5xx and
// on a refused connection, not retried on 4xx, stopped by abort; the JSON body arrives intact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from '../../src/approvals/webhook.js';

async function server(statuses: number[]): Promise<{ url: string; bodies: string[]; close: () => Promise<void> }> {
  const bodies: string[] = [];
  let i = 0;
  const s: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(statuses[Math.min(i++, statuses.length - 1)]).end('ok');
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise((r) => s.close(() => r())) };
}

test('retries 503 then delivers; the payload is the JSON sent', async () => {
  const s = await server([503, 503, 200]);
  const retries: number[] = [];
  const r = await postWebhook({
    url: s.url,
    payload: { id: 'apr-1', nested: { a: [1, 2] } },
    baseDelayMs: 10,
    onRetry: (n) => retries.push(n),
  });
  await s.close();
  assert.equal(r, { delivered: true, attempts: 3, status: 200 });
  assert.equal(retries, [1, 2]);
  assert.is(s.bodies.length, 3);
  assert.equal(JSON.parse(s.bodies[2]), { id: 'apr-1', nested: { a: [1, 2] } });
});

test('a 400 is not retried', async () => {
  const s = await server([400]);
  const r = await postWebhook({ url: s.url, payload: {}, baseDelayMs: 10 });
  await s.close();
  assert.is(r.delivered, false);
  assert.is(r.attempts, 1);
  assert.is(r.status, 400);
});

test('a refused connection is retried up to the limit; abort stops retrying', async () => {
  const s = await server([200]);
  const url = s.url;
  await s.close();
  const r = await postWebhook({ url, payload: {}, attempts: 3, baseDelayMs: 10 });
  assert.is(r.delivered, false);
  assert.is(r.attempts, 3);
  assert.ok(r.error);
  // The abort comes as the first backoff (an hour) begins: it must end that wait, not follow it.
  const ac = new AbortController();
  const p = postWebhook({
    url,
    payload: {},
    attempts: 10,
    baseDelayMs: 3_600_000,
    signal: ac.signal,
    onRetry: () => ac.abort(),
  });
  let bound: NodeJS.Timeout | undefined;
  const r2 = await Promise.race([p, new Promise<undefined>((r) => (bound = setTimeout(() => r(undefined), 60_000)))]);
  clearTimeout(bound);
  assert.ok(r2, 'abort cut the hour-long backoff short');
  assert.is(r2.delivered, false);
  assert.is(r2.attempts, 1);
});

test.run();
