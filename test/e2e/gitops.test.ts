// `contextforge watch --git` against a local bare repository and the real Docker engine: the
// first commit is applied; pushing a commit that adds a runtime deploys it, with the commit SHA
// and author in the event log and the run meta; pushing an invalid config is reported and
// skipped while the previous commit stays applied; `status` shows the applied SHA; a fix applies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { runCli, stackYaml, startCli, type Child, type RuntimeDef } from '../watch/support.js';

const STACK = uniqueName('cfgit');
const dir = mkdtempSync(join(tmpdir(), 'cf-gitops-e2e-'));
const bare = join(dir, 'config.git');
const work = join(dir, 'work');
const host = join(dir, 'host');
let dockerOk = false;
let watch: Child | undefined;

function git(...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=Alice Ops', '-c', 'user.email=alice@example.com', '-c', 'commit.gpgsign=false', ...args],
    { cwd: work, encoding: 'utf8' },
  ).trim();
}

function commit(content: string, message: string): string {
  writeFileSync(join(work, 'stacks', 'dev', 'contextforge.yaml'), content);
  git('add', '-A');
  git('commit', '-q', '-m', message);
  git('push', '-q', 'origin', 'main');
  return git('rev-parse', 'HEAD');
}

const config = (runtimes: RuntimeDef[]): string => stackYaml({ stack: STACK, runtimes });

async function running(name: string): Promise<string[] | undefined> {
  const list = await docker().listContainers({
    filters: JSON.stringify({ label: [`dev.contextforge.stack=${STACK}`], name: [`cf-${STACK}-${name}`] }),
  });
  const c = list.find((x) => x.Names.includes(`/cf-${STACK}-${name}`) && x.State === 'running');
  return c ? ((await docker().getContainer(c.Id).inspect()).Config.Env ?? []) : undefined;
}

test.before(async () => {
  dockerOk = await requireDocker('gitops e2e');
  if (!dockerOk) return;
  await ensureFixtureImages();
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  execFileSync('git', ['clone', '-q', bare, work], { stdio: 'pipe' });
  mkdirSync(join(work, 'stacks', 'dev'), { recursive: true });
  mkdirSync(host);
  git('checkout', '-q', '-b', 'main');
});

test.after(async () => {
  if (watch && watch.proc.exitCode === null) {
    watch.proc.kill('SIGKILL');
    await watch.done;
  }
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  rmSync(dir, { recursive: true, force: true });
});

test('git mode: commits deploy, an invalid commit is skipped, status shows the applied SHA', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  const sha1 = commit(config([{ name: 'alpha' }]), 'add alpha');
  watch = startCli(
    [
      'watch',
      '--git',
      `file://${bare}`,
      '--branch',
      'main',
      '--path',
      'stacks/dev',
      '--git-interval',
      '1s',
      '--interval',
      '1h',
    ],
    { cwd: host },
  );
  await watch.waitFor(new RegExp(`Commit ${sha1.slice(0, 12)} applied\\.`), 180_000);
  assert.ok(await running('alpha'));
  const statusLine = await watch.waitFor(/State and status: contextforge status -f \S+/, 30_000);
  const clonedConfig = statusLine.split(' -f ')[1];
  assert.ok(clonedConfig.startsWith(join(host, '.contextforge', 'git')), clonedConfig);

  // A commit adding a runtime deploys it.
  let mark = watch.mark();
  const sha2 = commit(config([{ name: 'alpha' }, { name: 'beta', env: { ROLE: 'second' } }]), 'add beta');
  await watch.waitFor(new RegExp(`Commit ${sha2.slice(0, 12)} applied\\.`), 180_000, mark);
  assert.match(watch.out().slice(mark), /New commit [0-9a-f]{12} on main by Alice Ops <alice@example\.com>: add beta/);
  assert.ok((await running('beta'))?.includes('ROLE=second'));

  let r = await runCli(['events', '-f', clonedConfig, '--type', 'git.*', '--json']);
  const events = JSON.parse(r.out) as { type: string; actor?: string; data?: Record<string, unknown> }[];
  assert.equal(
    events.filter((e) => e.type === 'git.applied').map((e) => e.data?.commit),
    [sha1, sha2],
  );
  assert.is(events.find((e) => e.data?.commit === sha2)?.data?.author, 'Alice Ops <alice@example.com>');
  r = await runCli(['history', '-f', clonedConfig, '--json']);
  const runs = JSON.parse(r.out) as { kind: string; meta?: { git?: { commit?: string; author?: string } } }[];
  assert.ok(
    runs.some(
      (x) =>
        x.kind === 'reconcile' && x.meta?.git?.commit === sha2 && x.meta.git.author === 'Alice Ops <alice@example.com>',
    ),
    r.out,
  );

  // An invalid commit: reported, skipped; the previous one stays applied.
  mark = watch.mark();
  const sha3 = commit(`${config([{ name: 'alpha' }])}not_a_key: 1\n`, 'break the config');
  await watch.waitFor(
    new RegExp(`Commit ${sha3.slice(0, 12)} is not valid: skipped\\. Commit ${sha2.slice(0, 12)} stays applied`),
    60_000,
    mark,
  );
  assert.match(watch.err(), /error\[[a-z.-]+\]: .*not_a_key/);
  assert.ok(await running('alpha'));
  assert.ok(await running('beta'), 'beta was not removed by the invalid commit');

  r = await runCli(['status', '-f', clonedConfig]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`Applied commit ${sha2} by Alice Ops <alice@example\\.com>`));
  r = await runCli(['status', '-f', clonedConfig, '--json']);
  assert.is((JSON.parse(r.out) as { git?: { commit: string } }).git?.commit, sha2);
  r = await runCli(['events', '-f', clonedConfig, '--type', 'git.commit-invalid', '--json']);
  assert.equal(
    (JSON.parse(r.out) as { data?: { commit?: string } }[]).map((e) => e.data?.commit),
    [sha3],
  );

  // A fix applies (and removes beta, as the fixed config says).
  mark = watch.mark();
  const sha4 = commit(config([{ name: 'alpha', env: { FIXED: 'yes' } }]), 'fix config, drop beta');
  await watch.waitFor(new RegExp(`Commit ${sha4.slice(0, 12)} applied\\.`), 180_000, mark);
  assert.ok((await running('alpha'))?.includes('FIXED=yes'));
  assert.is(await running('beta'), undefined);

  watch.proc.kill('SIGTERM');
  assert.is(await watch.done, 0, watch.out() + watch.err());
  watch = undefined;
});

test.run();
