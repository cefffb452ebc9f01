// The config watcher of `up` (and `watch`): editor-style saves (write-then-rename) and in-place
// writes both fire, a burst of saves fires once, a save with identical content does not fire,
// and setFiles() moves the watch to a new file set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchConfig } from '../../src/host/config-watch.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-watch-'));
const main = join(dir, 'contextforge.yaml');
const extra = join(dir, 'catalog.yaml');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let fired = 0;
/** Waits (bounded, generous) until the watcher fired `n` times in total. */
async function firedTimes(n: number): Promise<number> {
  const until = Date.now() + 10_000;
  while (fired < n && Date.now() < until) await sleep(50);
  return fired;
}

test('saves fire once per settled change; identical content does not fire', async () => {
  writeFileSync(main, 'name: a\n');
  writeFileSync(extra, 'slug: x\n');
  const w = watchConfig({ files: [main], debounceMs: 150, onChange: () => void (fired += 1) });
  try {
    await w.ready;
    writeFileSync(join(dir, '.tmp'), 'name: b\n');
    renameSync(join(dir, '.tmp'), main);
    assert.is(await firedTimes(1), 1, 'a write-then-rename save fires');
    for (let i = 0; i < 5; i++) writeFileSync(main, `name: burst${i}\n`);
    assert.is(await firedTimes(2), 2, 'a burst of writes fires');
    await sleep(1000);
    assert.is(fired, 2, 'a burst of writes fires once');
    writeFileSync(main, 'name: burst4\n');
    await sleep(1000);
    assert.is(fired, 2, 'the same content again does not fire');
    writeFileSync(extra, 'slug: y\n');
    await sleep(1000);
    assert.is(fired, 2, 'a file outside the set does not fire');
    w.setFiles([main, extra]);
    await sleep(300);
    writeFileSync(extra, 'slug: z\n');
    assert.is(await firedTimes(3), 3, 'a file added by setFiles fires');
  } finally {
    await w.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
