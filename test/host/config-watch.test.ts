// The config watcher of `up` (and `watch`): editor-style saves (write-then-rename) and in-place
// writes both fire, a burst of saves fires once, a save with identical content does not fire,
// and setFiles() moves the watch to a new file set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  const until = Date.now() + 60_000;
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

test('deletes, renames, a directory in its place and a swapped directory: each new version fires', async () => {
  const root = mkdtempSync(join(tmpdir(), 'cf-watch-swap-'));
  const cfgDir = join(root, 'stack');
  mkdirSync(cfgDir);
  const f = join(cfgDir, 'contextforge.yaml');
  writeFileSync(f, 'name: v0\n');
  const seen: Array<{ missing: string[]; text: string }> = [];
  const w = watchConfig({
    files: [f],
    debounceMs: 100,
    rearmMs: 100,
    onChange: (c) => void seen.push({ missing: c.missing, text: c.missing.length ? '' : readFileSync(f, 'utf8') }),
  });
  /** Waits (bounded, generous) for the next report and returns it. */
  const next = async (): Promise<{ missing: string[]; text: string }> => {
    const n = seen.length;
    const until = Date.now() + 60_000;
    while (seen.length === n && Date.now() < until) await sleep(25);
    assert.ok(seen.length > n, 'the watcher reported a change');
    return seen[seen.length - 1];
  };
  try {
    await w.ready;
    for (let i = 1; i <= 3; i++) {
      rmSync(f);
      assert.equal((await next()).missing, [f], `delete ${i} is reported as missing`);
      writeFileSync(f, `name: v${i}\n`);
      assert.equal(await next(), { missing: [], text: `name: v${i}\n` }, `recreated version ${i} fires`);
    }
    renameSync(f, `${f}.away`);
    assert.equal((await next()).missing, [f], 'renamed away: missing');
    writeFileSync(`${f}.away`, 'name: renamed\n');
    renameSync(`${f}.away`, f);
    assert.is((await next()).text, 'name: renamed\n', 'renamed back with new content fires');
    rmSync(f);
    mkdirSync(f);
    assert.equal((await next()).missing, [f], 'a directory in its place is not a config');
    rmSync(f, { recursive: true });
    writeFileSync(f, 'name: back\n');
    assert.is((await next()).text, 'name: back\n', 'the file back in place of the directory fires');
    // The whole directory swapped for another (rename over it): the watch re-arms.
    const fresh = join(root, 'stack.new');
    mkdirSync(fresh);
    writeFileSync(join(fresh, 'contextforge.yaml'), 'name: swapped\n');
    renameSync(cfgDir, join(root, 'stack.old'));
    renameSync(fresh, cfgDir);
    assert.is((await next()).text, 'name: swapped\n', 'a swapped directory fires');
    writeFileSync(f, 'name: after-swap\n');
    assert.is((await next()).text, 'name: after-swap\n', 'saves in the swapped-in directory fire');
    assert.ok(w.quietForMs() < 60_000, 'quietForMs counts from the last write');
  } finally {
    await w.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
