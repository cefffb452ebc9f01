// streamTransport's framing on real Node streams: messages sent in one event-loop turn leave in
// one write; lines split across chunks, CRLF and blank lines are read; a line that is not JSON or
// not a JSON-RPC envelope is reported and skipped without ending the session; backpressure holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isJsonRpcEnvelope, streamTransport } from '../../src/model/stream-transport.js';

function recordingSink(highWaterMark = 16 * 1024): { sink: Writable; writes: string[] } {
  const writes: string[] = [];
  const sink = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      writes.push(chunk.toString('utf8'));
      setImmediate(cb);
    },
  });
  return { sink, writes };
}

test('messages sent in one turn leave in one write, in order', async () => {
  const { sink, writes } = recordingSink();
  const t = streamTransport(new PassThrough(), sink);
  await t.start();
  const sent = Array.from({ length: 5 }, (_, i) => t.send({ jsonrpc: '2.0', id: i, method: 'ping' }));
  await Promise.all(sent);
  assert.is(writes.length, 1);
  assert.equal(
    writes[0]
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).id),
    [0, 1, 2, 3, 4],
  );
  await t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  sink.end();
  await once(sink, 'finish');
  assert.is(writes.length, 2, 'a later turn is a later write');
});

test('a full sink holds the senders until it drains', async () => {
  const { sink, writes } = recordingSink(8);
  const t = streamTransport(new PassThrough(), sink);
  await t.start();
  let done = false;
  const p = t.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }).then(() => (done = true));
  await new Promise((r) => process.nextTick(r));
  assert.is(done, false, 'waiting for drain');
  await p;
  assert.is(writes.length, 1);
});

test('reads lines split across chunks, CRLF and blank lines; skips what is not JSON-RPC', async () => {
  const src = new PassThrough();
  const t = streamTransport(src, recordingSink().sink);
  const got: JSONRPCMessage[] = [];
  const errors: string[] = [];
  t.onmessage = (m) => got.push(m);
  t.onerror = (e) => errors.push(e.message);
  await t.start();
  src.write('{"jsonrpc":"2.0","id":1,"res');
  src.write('ult":{"tools":[]}}\r\n\nnot json\n{"jsonrpc":"1.0","id":2,"result":{}}\n');
  src.write(
    '{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}\n{"jsonrpc":"2.0","method":"notifications/message","params":{}}\n',
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(
    got.map((m) => ('id' in m ? m.id : (m as { method: string }).method)),
    [1, 3, 'notifications/message'],
  );
  assert.is(errors.length, 2);
  assert.ok(errors.every((e) => e.startsWith('Skipped a line that is not JSON-RPC')));
});

test('the envelope check', () => {
  assert.ok(isJsonRpcEnvelope({ jsonrpc: '2.0', id: 'a', method: 'x' }));
  assert.ok(isJsonRpcEnvelope({ jsonrpc: '2.0', method: 'x' }));
  assert.ok(isJsonRpcEnvelope({ jsonrpc: '2.0', id: 1, result: {} }));
  assert.not.ok(isJsonRpcEnvelope({ jsonrpc: '2.0', id: 1 }));
  assert.not.ok(isJsonRpcEnvelope({ jsonrpc: '2.0', id: null, result: {} }));
  assert.not.ok(isJsonRpcEnvelope({ jsonrpc: '2.0', id: 1, result: 3 }));
  assert.not.ok(isJsonRpcEnvelope({ jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'm' } }));
  assert.not.ok(isJsonRpcEnvelope([{ jsonrpc: '2.0', method: 'x' }]));
  assert.not.ok(isJsonRpcEnvelope('{"jsonrpc":"2.0"}'));
});

test('an overlong line without a newline is dropped with an error, and reading goes on', async () => {
  const src = new PassThrough();
  const t = streamTransport(src, recordingSink().sink, { maxBufferSize: 64 });
  const got: JSONRPCMessage[] = [];
  const errors: string[] = [];
  t.onmessage = (m) => got.push(m);
  t.onerror = (e) => errors.push(e.message);
  await t.start();
  src.write('x'.repeat(100));
  src.write('\n{"jsonrpc":"2.0","id":7,"result":{}}\n');
  await new Promise((r) => setImmediate(r));
  assert.match(errors[0], 'longer than 64 bytes');
  assert.equal(
    got.map((m) => (m as { id: number }).id),
    [7],
  );
});

test.run();
