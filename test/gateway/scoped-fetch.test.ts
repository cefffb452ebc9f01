// scopedSignalFetch: a session-wide signal keeps one listener however many requests ran, and
// aborting it still cuts a response body that is streaming, even after a garbage collection.
import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scopedSignalFetch } from '../../src/gateway/scoped-fetch.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

test('finished requests leave no listener on the shared signal; abort cuts a live stream', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      return; // never ends
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const session = new AbortController();
  const f = scopedSignalFetch();
  try {
    for (let i = 0; i < 200; i++) {
      const r = await f(`${base}/json`, { signal: session.signal });
      assert.equal(await r.json(), { ok: true });
    }
    assert.is(getEventListeners(session.signal, 'abort').length, 1, 'one listener, not one per request');
    const stream = await f(`${base}/stream`, { signal: session.signal });
    // Read the way the SDK does: through a pipe, with the Response itself dropped.
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    assert.match(first.value ?? '', 'first');
    assert.is(getEventListeners(session.signal, 'abort').length, 1, 'still one listener while streaming');
    // The link to a live body must survive a garbage collection.
    collectGarbage();
    await new Promise((r) => setTimeout(r, 20));
    collectGarbage();
    session.abort(new Error('session closed'));
    try {
      await reader.read();
      assert.unreachable('read after abort must fail');
    } catch (e) {
      assert.match(String(e), /abort|closed/i);
    }
    assert.is(getEventListeners(session.signal, 'abort').length, 0);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test.run();
