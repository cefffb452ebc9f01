// The supervisor's byte relay on real streams: bytes pass unchanged and in order, the chunks of
// one event-loop turn leave in one write, a slow writer pauses the reader, and after unrelay
// nothing more passes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { relay } from '../../../src/backends/process/relay.js';

function sink(highWaterMark = 1024): { to: Writable; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const to = new Writable({
    highWaterMark,
    writev(chunks, cb) {
      writes.push(Buffer.concat(chunks.map((c) => c.chunk as Buffer)));
      setImmediate(cb);
    },
    write(chunk: Buffer, _enc, cb) {
      writes.push(chunk);
      setImmediate(cb);
    },
  });
  return { to, writes };
}

test('chunks of one turn leave in one write, bytes unchanged', async () => {
  const from = new PassThrough();
  const { to, writes } = sink();
  relay(from, to);
  // Three chunks emitted in the same turn (PassThrough emits each write as its own data event).
  from.write('{"a":1}\n');
  from.write('{"b":2}\n');
  from.write('partial');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  to.end();
  await once(to, 'finish');
  assert.is(Buffer.concat(writes).toString(), '{"a":1}\n{"b":2}\npartial');
  assert.is(writes.length, 1);
});

test('a slow writer pauses the reader until it drains; unrelay stops the flow', async () => {
  const from = new PassThrough();
  const { to, writes } = sink(4);
  const stop = relay(from, to);
  from.write(Buffer.alloc(64, 1));
  await new Promise((r) => setImmediate(r));
  assert.ok(from.isPaused(), 'paused while the writer is over its high-water mark');
  await once(to, 'drain');
  await new Promise((r) => setImmediate(r));
  assert.not.ok(from.isPaused(), 'resumed after drain');
  stop();
  from.write('after');
  await new Promise((r) => setImmediate(r));
  to.end();
  await once(to, 'finish');
  assert.is(Buffer.concat(writes).length, 64, 'nothing after unrelay');
});

test.run();
