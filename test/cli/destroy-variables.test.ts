// `destroy` needs only the variables of what it destroys (issue 20): the quick start with a
// runtime token taken from ${QS_TOKEN} is applied with the variable set; without it, `plan`
// still fails on the unset variable, but `destroy` warns that it does not need it and removes
// the running process. The real CLI (from source) and the real process backend.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupCopy, livePids, quickstartCopy, requireBuild } from './up-support.js';
import { runCli } from '../watch/support.js';

requireBuild();
const copy = quickstartCopy();
const cfg = join(copy.dir, 'contextforge.yaml');
const env = { PATH: `${copy.path}:${process.env.PATH ?? ''}` };

test('destroy runs without a variable only the runtimes use; plan still needs it', async () => {
  writeFileSync(
    cfg,
    readFileSync(cfg, 'utf8').replace(
      '    backend: local\n',
      '    backend: local\n    env:\n      QS_TOKEN: "${QS_TOKEN}"\n',
    ),
  );
  const applied = await runCli(['apply', '--auto-approve'], {
    cwd: copy.dir,
    env: { ...env, QS_TOKEN: 't0ken-value' },
  });
  assert.is(applied.code, 0, applied.out + applied.err);
  assert.ok(livePids(copy.dir).length > 0, 'the runtime runs');

  const plan = await runCli(['plan'], { cwd: copy.dir, env });
  assert.is(plan.code, 1, 'plan still needs every variable');
  assert.match(plan.out + plan.err, /variable QS_TOKEN is not set/);

  const destroyed = await runCli(['destroy', '--auto-approve'], { cwd: copy.dir, env });
  assert.is(destroyed.code, 0, destroyed.out + destroyed.err);
  assert.match(destroyed.out + destroyed.err, /variable QS_TOKEN is not set; destroy does not need it/);
  assert.match(destroyed.out, /Destroy complete! Resources: 1 destroyed/);
  assert.equal(livePids(copy.dir), [], 'nothing of the stack runs');
});

test.after(() => cleanupCopy(copy));

test.run();
