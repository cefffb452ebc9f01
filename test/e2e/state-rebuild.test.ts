// A damaged state file (issue 20): its first page overwritten, `status` and `plan` fail with a
// diagnostic naming the file and the fix instead of "unexpected failure"; `state rebuild` moves
// it aside and records what Docker runs from the containers' labels; the next plan has no
// changes and status shows the runtime in sync. Real Docker, the real CLI, a real SQLite file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { runCli, stackYaml } from '../watch/support.js';

const STACK = uniqueName('cfrebuild');
const dir = mkdtempSync(join(tmpdir(), 'cf-rebuild-'));
const file = join(dir, 'contextforge.yaml');
const stateFile = join(dir, '.contextforge', 'state.db');
let dockerOk = false;

test.before(async () => {
  dockerOk = await requireDocker('state rebuild e2e');
  if (dockerOk) await ensureFixtureImages();
});

test.after(async () => {
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  rmSync(dir, { recursive: true, force: true });
});

test('a damaged state file is named with its fix; state rebuild records what runs', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  writeFileSync(file, stackYaml({ stack: STACK, runtimes: [{ name: 'alpha', env: { V: '1' } }] }));
  const apply = await runCli(['apply', '-f', file, '--auto-approve']);
  assert.is(apply.code, 0, apply.out + apply.err);

  // Damage the file's header page.
  for (const s of ['-wal', '-shm']) rmSync(stateFile + s, { force: true });
  const fd = openSync(stateFile, 'r+');
  writeSync(fd, Buffer.alloc(100, 0x5a), 0, 100, 0);
  closeSync(fd);

  for (const verb of [['status'], ['plan']]) {
    const r = await runCli([...verb, '-f', file]);
    assert.is(r.code, 1, `${verb[0]} fails on a damaged state file`);
    const all = r.out + r.err;
    assert.ok(all.includes(stateFile), `${verb[0]} names ${stateFile}:\n${all}`);
    assert.match(all, /contextforge state rebuild/);
    assert.not.match(all, /unexpected failure/);
  }

  const rebuilt = await runCli(['state', 'rebuild', '-f', file]);
  assert.is(rebuilt.code, 0, rebuilt.out + rebuilt.err);
  assert.match(rebuilt.out, /1 runtime\(s\) recorded \(runtime\.alpha\)/);
  const aside = readdirSync(join(dir, '.contextforge')).filter((f) => f.startsWith('state.db.damaged-'));
  assert.ok(aside.length >= 1, 'the damaged file is moved aside, not deleted');
  assert.ok(existsSync(stateFile));

  const plan = await runCli(['plan', '-f', file, '--detailed-exitcode']);
  assert.is(plan.code, 0, plan.out + plan.err);
  assert.match(plan.out, /No changes/);
  const status = await runCli(['status', '-f', file]);
  assert.is(status.code, 0, status.out + status.err);
  assert.match(status.out, /alpha .*running.*in sync/);
});

test.run();
