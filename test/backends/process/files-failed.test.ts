// A filesystem failure of the process backend's own files is a diagnostic that says what to do,
// not "a bug in the backend" (issue 18): the real CLI applies the quick start with
// .contextforge/process taken by a plain file, so the backend cannot make its directory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupCopy, quickstartCopy, requireBuild, runCliSync } from '../../cli/up-support.js';

requireBuild();
const copy = quickstartCopy();

test('apply reports process.files-failed with the path and the fix, exit 1', () => {
  mkdirSync(join(copy.dir, '.contextforge'), { recursive: true });
  writeFileSync(join(copy.dir, '.contextforge', 'process'), 'not a directory\n');
  const r = runCliSync(['apply', '--auto-approve'], { cwd: copy.dir, path: copy.path });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, 'error[process.files-failed]');
  assert.match(r.stderr, /ENOTDIR|EEXIST/);
  assert.match(r.stderr, '.contextforge/process');
  assert.match(r.stderr, 'writable by this user');
  assert.not.match(r.stdout + r.stderr, 'bug in the backend');
  assert.match(r.stdout, 'Apply failed: 1 of 1 actions did not complete');
});

test('once the path is a directory again, the same apply succeeds', () => {
  rmSync(join(copy.dir, '.contextforge', 'process'));
  const r = runCliSync(['apply', '--auto-approve'], { cwd: copy.dir, path: copy.path });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'Apply complete! Resources: 1 created');
});

test.after(() => cleanupCopy(copy));

test.run();
