// One pass, one summary (issues 18 and 19): the same replace, planned from the same state,
// applied through `apply`, `up` and `watch`, prints the same closing line, counts a replace as
// replaced (not as updated, not twice), and records the same `apply.replaced` event; `destroy`
// and `up --down-on-exit` close with the same line too. Real CLI, real process backend.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStateStore } from '../../src/state/sqlite.js';
import {
  cleanupCopy,
  quickstartCopy,
  requireBuild,
  runCli,
  runCliSync,
  type CliRun,
  type QuickstartCopy,
} from '../cli/up-support.js';

requireBuild();
const copies: QuickstartCopy[] = [];
const fresh = (): QuickstartCopy => {
  const c = quickstartCopy();
  copies.push(c);
  return c;
};
const SUMMARY = /^(?:Apply|Destroy) (?:complete!|failed:).*$/gm;
const summariesOf = (out: string): string[] => out.match(SUMMARY) ?? [];

/** The edit every verb applies: one env default, which the process backend replaces. */
function edit(c: QuickstartCopy): void {
  const file = join(c.dir, 'contextforge.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('        default: Hello\n', '        default: Howdy\n'));
}

/** Event types about runtime.quickstart after the first apply, oldest first. */
function eventsAfterCreate(c: QuickstartCopy): string[] {
  const store = openStateStore({ path: join(c.dir, '.contextforge', 'state.db') });
  try {
    const types = store
      .listEvents('quickstart', { address: 'runtime.quickstart' })
      .map((e) => e.type)
      .filter((t) => t.startsWith('apply.') || t === 'drift.repaired');
    // listEvents is newest first in some stores; sort by what we need: the set after creation.
    return types.filter((t) => t !== 'apply.created').sort();
  } finally {
    store.close();
  }
}

async function waitForSummaries(run: CliRun, n: number): Promise<void> {
  await run.waitFor(new RegExp(`(?:(?:Apply|Destroy) (?:complete!|failed:)[^]*){${n}}`), 120_000);
}

const seen: Record<string, { summary: string; events: string[] }> = {};

test('apply: a replace is counted once, as replaced', () => {
  const c = fresh();
  const first = runCliSync(['apply', '--auto-approve'], { cwd: c.dir, path: c.path });
  assert.is(first.code, 0, first.stdout + first.stderr);
  assert.equal(summariesOf(first.stdout), ['Apply complete! Resources: 1 created, 0 updated, 0 destroyed.']);
  edit(c);
  const second = runCliSync(['apply', '--auto-approve'], { cwd: c.dir, path: c.path });
  assert.is(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, 'replace:env-changed');
  const s = summariesOf(second.stdout);
  assert.equal(s, ['Apply complete! Resources: 0 created, 0 updated, 1 replaced, 0 destroyed.']);
  seen.apply = { summary: s[0], events: eventsAfterCreate(c) };
  assert.equal(seen.apply.events, ['apply.replaced'], 'a replace is recorded as apply.replaced');
});

test('up: the same replace, applied on a save, prints the same summary', async () => {
  const c = fresh();
  const up = runCli(['up', '--port', '0'], { cwd: c.dir, path: c.path });
  try {
    await up.waitFor(/Watching .* for changes/, 120_000);
    assert.equal(summariesOf(up.stdout()), ['Apply complete! Resources: 1 created, 0 updated, 0 destroyed.']);
    edit(c);
    await waitForSummaries(up, 2);
    const s = summariesOf(up.stdout());
    seen.up = { summary: s[1], events: eventsAfterCreate(c) };
  } finally {
    up.child.kill('SIGINT');
    await up.exited;
  }
  assert.equal(seen.up, seen.apply);
});

test('watch: the same replace, applied on a save, prints the same summary', async () => {
  const c = fresh();
  const watch = runCli(['watch', '--interval', '1h'], { cwd: c.dir, path: c.path });
  try {
    await watch.waitFor(/Watching \d+ file/, 120_000);
    assert.equal(summariesOf(watch.stdout()), ['Apply complete! Resources: 1 created, 0 updated, 0 destroyed.']);
    edit(c);
    await waitForSummaries(watch, 2);
    const s = summariesOf(watch.stdout());
    seen.watch = { summary: s[1], events: eventsAfterCreate(c) };
  } finally {
    watch.child.kill('SIGINT');
    await watch.exited;
  }
  assert.equal(seen.watch, seen.apply);
});

test('destroy and up --down-on-exit close with the same summary', async () => {
  const a = fresh();
  assert.is(runCliSync(['apply', '--auto-approve'], { cwd: a.dir, path: a.path }).code, 0);
  const destroyed = runCliSync(['destroy', '--auto-approve'], { cwd: a.dir, path: a.path });
  assert.is(destroyed.code, 0, destroyed.stdout + destroyed.stderr);
  const b = fresh();
  const up = runCli(['up', '--port', '0', '--down-on-exit'], { cwd: b.dir, path: b.path });
  await up.waitFor(/Watching .* \(runtimes will be removed\)/, 120_000);
  up.child.kill('SIGINT');
  assert.is(await up.exited, 0, up.stdout() + up.stderr());
  assert.equal(summariesOf(destroyed.stdout), ['Destroy complete! Resources: 1 destroyed.']);
  assert.equal(summariesOf(up.stdout()).slice(1), summariesOf(destroyed.stdout));
});

test.after(() => {
  for (const c of copies) cleanupCopy(c);
});

test.run();
