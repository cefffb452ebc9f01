// Read-only verbs work on a read-only state directory (issue 20): the quick start is applied,
// then its .contextforge directory and state file are made read-only and `status`, `history`
// and `events` run as an unprivileged user (root would ignore the modes). They answer from a
// snapshot of the file; the file is not changed. The real CLI (from source), real SQLite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanupCopy, quickstartCopy, requireBuild } from './up-support.js';
import { ROOT, runCli } from '../watch/support.js';
import { skip } from '../support/skip.js';

requireBuild();
const copy = quickstartCopy();
const state = join(copy.dir, '.contextforge');
const TSX = pathToFileURL(`${ROOT}node_modules/tsx/dist/loader.mjs`).href;
const RUNNER = `import { main } from '${pathToFileURL(`${ROOT}src/cli/main.ts`).href}'; process.exitCode = await main(process.argv.slice(1));`;
const NOBODY = 65534;

function asNobody(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, '--input-type=module', '-e', RUNNER, ...args], {
    cwd: copy.dir,
    uid: NOBODY,
    gid: NOBODY,
    env: { PATH: `${copy.path}:/usr/bin:/bin`, HOME: '/tmp', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('status, history and events read a state file in a read-only directory', async () => {
  if (process.getuid?.() !== 0) return skip('needs root to run the CLI as another user');
  const applied = await runCli(['apply', '--auto-approve'], {
    cwd: copy.dir,
    env: { PATH: `${copy.path}:${process.env.PATH}` },
  });
  assert.is(applied.code, 0, applied.out + applied.err);
  const file = join(state, 'state.db');
  const before = readFileSync(file);
  chmodSync(copy.dir, 0o755);
  chmodSync(state, 0o555);
  chmodSync(file, 0o444);
  const unwritable = asNobody(['--version']);
  assert.is(unwritable.code, 0, unwritable.out);
  for (const verb of [['status'], ['history'], ['events']]) {
    const r = asNobody(verb);
    assert.is(r.code, 0, `${verb[0]} on a read-only state directory:\n${r.out}`);
    assert.not.match(r.out, /unexpected failure|readonly|unable to open/i);
  }
  assert.match(asNobody(['status']).out, /quickstart/);
  assert.ok(readFileSync(file).equals(before), 'the state file is unchanged');
  assert.is(statSync(file).mode & 0o777, 0o444);
  chmodSync(state, 0o755);
  chmodSync(file, 0o644);
});

test.after(() => {
  try {
    chmodSync(state, 0o755);
  } catch {
    // Gone already.
  }
  cleanupCopy(copy);
});

test.run();
