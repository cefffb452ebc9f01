// The shared reconcile loop of `up` and `watch`: one pass at a time, triggers during a pass
// coalesce into exactly one more pass, a throwing pass does not stop the loop, and stop() waits
// for the pass in flight and starts no other.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReconcileLoop, type Trigger } from '../../src/watch/loop.js';

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

test('triggers during a pass coalesce into one more pass; never two at once', async () => {
  const batches: Trigger[][] = [];
  let active = 0;
  let maxActive = 0;
  const first = gate();
  const loop = createReconcileLoop({
    pass: async (t) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      batches.push([...t].sort());
      if (batches.length === 1) await first.wait;
      active -= 1;
    },
  });
  loop.trigger('start');
  await new Promise((r) => setImmediate(r));
  loop.trigger('config');
  loop.trigger('drift');
  loop.trigger('config');
  first.open();
  await loop.idle();
  assert.equal(batches, [['start'], ['config', 'drift']]);
  assert.is(maxActive, 1);
});

test('a throwing pass is reported and the loop goes on; stop waits for the pass in flight', async () => {
  const errors: string[] = [];
  const g = gate();
  let passes = 0;
  let finished = false;
  const loop = createReconcileLoop({
    pass: async (t) => {
      passes += 1;
      if (t.has('git')) throw new Error('boom');
      await g.wait;
      finished = true;
    },
    onError: (e) => errors.push(e.message),
  });
  loop.trigger('git');
  await loop.idle();
  assert.equal(errors, ['boom']);
  loop.trigger('drift');
  const stopping = loop.stop();
  loop.trigger('config');
  setTimeout(g.open, 20);
  await stopping;
  assert.ok(finished, 'stop resolved only after the pass in flight finished');
  assert.is(passes, 2, 'nothing started after stop');
  assert.ok(loop.stopped);
});

test.run();
