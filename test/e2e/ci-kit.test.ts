// The GitHub Actions kit run as a runner would run it: each job's `run:` steps are taken from
// examples/ci/github-actions.yml and executed with bash, in order (`if: always()` steps also
// after a failure), in a checkout of a local bare git repository, with GITHUB_OUTPUT/GITHUB_ENV
// files, `${{ steps.*.outputs.* }}` filled from them, and DATABASE_URL on the local PostgreSQL.
// `uses:` steps (checkout, artifact upload, the GitHub API calls) are GitHub's and are not run;
// the reviews they would fetch are given as reviews.json. The install step is skipped through
// CONTEXTFORGE_BIN (the repository's built bin), since it would download the package.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { openStore } from '../../src/state/open.js';
import { dropDatabase, freshDatabase, requirePostgres } from '../support/postgres.js';
import { baseConfig, configRepo, type ConfigRepo } from './ci-kit-support.js';

const REPO = resolve('.');
const BIN = join(REPO, 'bin', 'contextforge.js');
const ready = await requirePostgres('CI kit (postgres)');
const pgTest = ready ? test : test.skip;

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  id?: string;
}
const workflow = parse(readFileSync(join(REPO, 'examples/ci/github-actions.yml'), 'utf8')) as {
  jobs: Record<string, { steps: Step[] }>;
};

const root = mkdtempSync(join(tmpdir(), 'cf-ci-kit-'));
let repo: ConfigRepo;
let url = '';

interface JobResult {
  ok: boolean;
  outputs: Record<string, Record<string, string>>;
  log: string;
  ran: string[];
}

function runJob(name: string, ws: string, extraEnv: Record<string, string> = {}): JobResult {
  const outputs: Record<string, Record<string, string>> = {};
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NO_COLOR: '1',
    CONTEXTFORGE_CONFIG: 'contextforge.yaml',
    CONTEXTFORGE_PACKAGE: '',
    CONTEXTFORGE_BIN: BIN,
    RUNNER_TEMP: mkdtempSync(join(root, 'tmp-')),
    DATABASE_URL: url,
    ...extraEnv,
  };
  let ok = true;
  let log = '';
  const ran: string[] = [];
  for (const step of workflow.jobs[name].steps) {
    if (!step.run) continue;
    if (!ok && step.if !== 'always()') continue;
    const out = join(env.RUNNER_TEMP, `out-${ran.length}`);
    const envFile = join(env.RUNNER_TEMP, `env-${ran.length}`);
    writeFileSync(out, '');
    writeFileSync(envFile, '');
    const expr = (s: string): string =>
      s.replace(
        /\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}/g,
        (_, id: string, k: string) => outputs[id]?.[k] ?? '',
      );
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expr(v)]));
    const r = spawnSync('bash', ['-e', '-c', expr(step.run)], {
      cwd: ws,
      encoding: 'utf8',
      env: { ...env, ...stepEnv, GITHUB_OUTPUT: out, GITHUB_ENV: envFile },
    });
    ran.push(step.name ?? step.run.slice(0, 30));
    log += `--- ${step.name}\n${r.stdout}${r.stderr}`;
    const kv = (file: string): Record<string, string> =>
      Object.fromEntries(
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    if (step.id) outputs[step.id] = kv(out);
    Object.assign(env, kv(envFile));
    if (r.status !== 0) ok = false;
  }
  return { ok, outputs, log, ran };
}

test.before(() => {
  repo = configRepo(root, REPO);
});

const base = (): string => baseConfig(REPO);

pgTest('pull request with a valid config: the plan comment, the full plan kept, no credentials needed', async () => {
  url = await freshDatabase('cf_cikit');
  repo.commit(base(), 'a valid config');
  const ws = repo.checkout();
  const r = runJob('plan', ws);
  assert.ok(r.ok, r.log);
  assert.is(r.outputs.plan.code, '2', r.log);
  const md = readFileSync(join(ws, 'comment.md'), 'utf8');
  assert.ok(
    md.startsWith('<!-- contextforge-plan -->\n### contextforge plan for stack `quickstart`'),
    md.slice(0, 300),
  );
  assert.match(md, 'runtime.quickstart');
  assert.equal(readFileSync(join(ws, 'plan-full.md'), 'utf8'), md, 'short plans are not cut');
});

pgTest('pull request with an invalid config: the comment carries the diagnostics and the job fails', async () => {
  repo.commit(base().replace('catalog: quickstart-example', 'catalog: no-such-entry'), 'an invalid config');
  const ws = repo.checkout();
  const r = runJob('plan', ws);
  assert.is(r.ok, false, 'the job fails');
  assert.ok(
    r.ran.some((n) => /Fail when the plan failed/.test(n)),
    'the always() step ran',
  );
  assert.is(r.outputs.plan.code, '1');
  const md = readFileSync(join(ws, 'comment.md'), 'utf8');
  assert.match(md, 'the plan failed');
  assert.match(md, 'ref.unknown-catalog');
  assert.match(md, 'no-such-entry');
});

test('a comment over 60,000 characters is cut at a line with a summary; the artifact keeps it all', () => {
  const dir = mkdtempSync(join(root, 'big-'));
  const lines = Array.from({ length: 3000 }, (_, i) => `| runtime.r${i} | create | ${'x'.repeat(40)} |`);
  writeFileSync(join(dir, 'plan.md'), `### contextforge plan for stack \`big\`\n\n${lines.join('\n')}\n`);
  const kit = join(REPO, 'examples/ci/ci-kit.mjs');
  const r = spawnSync(
    process.execPath,
    [kit, 'comment', join(dir, 'plan.md'), '2', join(dir, 'none'), join(dir, 'comment.md')],
    { encoding: 'utf8' },
  );
  assert.is(r.status, 0, r.stderr);
  const md = readFileSync(join(dir, 'comment.md'), 'utf8');
  const full = readFileSync(join(dir, 'plan-full.md'), 'utf8');
  assert.ok(full.length > 150_000);
  assert.ok(md.length <= 60_000, `${md.length}`);
  assert.ok(md.length > 55_000, 'it uses the room it has');
  assert.match(md, /\*\*Truncated:\*\* this comment shows \d+ of \d+ characters/);
  assert.match(md, 'contextforge-plan');
  const body = md.slice(0, md.indexOf('\n\n---\n**Truncated'));
  assert.ok(full.startsWith(body) && body.endsWith('|'), 'cut at a line end');
});

pgTest('merge: apply with approvers from the latest reviews (a later COMMENTED review keeps an approval)', async () => {
  repo.commit(base(), 'back to the valid config');
  const ws = repo.checkout();
  // Only comments and a withdrawn approval: nobody approves, so the gated change is held.
  writeFileSync(
    join(ws, 'reviews.json'),
    JSON.stringify([
      { user: { login: 'alice' }, state: 'COMMENTED', submitted_at: '2026-01-01T10:00:00Z' },
      { user: { login: 'bob' }, state: 'APPROVED', submitted_at: '2026-01-01T10:01:00Z' },
      { user: { login: 'bob' }, state: 'CHANGES_REQUESTED', submitted_at: '2026-01-01T10:02:00Z' },
    ]),
  );
  writeFileSync(join(ws, 'teams.json'), '{}');
  let r = runJob('apply', ws);
  assert.is(r.ok, false, r.log);
  assert.is(r.outputs.approvers.list, '');
  assert.match(r.log, 'held (exit 3)');

  writeFileSync(
    join(ws, 'reviews.json'),
    JSON.stringify([
      { user: { login: 'alice' }, state: 'APPROVED', submitted_at: '2026-01-01T11:00:00Z' },
      { user: { login: 'alice' }, state: 'COMMENTED', submitted_at: '2026-01-01T11:05:00Z' },
      { user: { login: 'bob' }, state: 'CHANGES_REQUESTED', submitted_at: '2026-01-01T11:06:00Z' },
    ]),
  );
  writeFileSync(join(ws, 'teams.json'), JSON.stringify({ alice: ['security-team'] }));
  r = runJob('apply', ws);
  assert.ok(r.ok, r.log);
  assert.is(r.outputs.approvers.list, 'alice,security-team');
  const store = openStore({ backend: 'postgres', url });
  try {
    assert.equal(
      store.listRuntimes('quickstart').map((x) => x.address),
      ['runtime.quickstart'],
    );
  } finally {
    store.close();
  }
  const down = spawnSync(process.execPath, [BIN, 'destroy', '--auto-approve'], {
    cwd: ws,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: url },
  });
  assert.is(down.status, 0, down.stdout + down.stderr);
});

test.after(async () => {
  if (url) await dropDatabase(url);
  if (existsSync(root)) rmSync(root, { recursive: true, force: true });
});

test.run();
