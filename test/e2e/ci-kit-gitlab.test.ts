// The GitLab CI kit run as a runner would run it: each job's `script:` lines are taken from
// examples/ci/gitlab-ci.yml and executed with sh, as one script, in a checkout of a local bare
// git repository, with the variables GitLab sets. The GitLab API the jobs call (merge-request
// notes, the merged request of a commit, its approvals) is a local HTTP server on 127.0.0.1 that
// records what it is sent; the state is the local PostgreSQL (the job's service container). The
// `before_script` installs the package from CONTEXTFORGE_PACKAGE, which would download it: its
// two exports (CONTEXTFORGE_BIN, KIT) are given instead, pointing at this repository.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { openStore } from '../../src/state/open.js';
import { dropDatabase, freshDatabase, requirePostgres } from '../support/postgres.js';
import { baseConfig, configRepo, type ConfigRepo } from './ci-kit-support.js';

const REPO = resolve('.');
const BIN = join(REPO, 'bin', 'contextforge.js');
const ready = await requirePostgres('GitLab CI kit (postgres)');
const pgTest = ready ? test : test.skip;

const pipeline = parse(readFileSync(join(REPO, 'examples/ci/gitlab-ci.yml'), 'utf8')) as {
  variables: Record<string, string>;
  default: { before_script: string[] };
  plan: { script: string[]; rules: Array<{ if: string }> };
  apply: { script: string[]; rules: Array<{ if: string }> };
};

const root = mkdtempSync(join(tmpdir(), 'cf-ci-gitlab-'));
let repo: ConfigRepo;
let url = '';

/** What the stand-in GitLab API received, and what it answers about approvals. */
const api = {
  notes: [] as Array<{ path: string; token: string | undefined; body: string }>,
  approvedBy: [] as string[],
  requests: [] as string[],
};
let server: Server | undefined;
let apiUrl = '';

const base = (): string => baseConfig(REPO);

/** Runs a job's script lines as GitLab does: one shell script that stops at the first failure. */
function runJob(
  name: 'plan' | 'apply',
  ws: string,
  vars: Record<string, string>,
): Promise<{ code: number; log: string }> {
  const script = ['set -e', ...pipeline[name].script].join('\n');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NO_COLOR: '1',
    ...pipeline.variables,
    // The job's service container is reachable as `postgres`; here it is the local server.
    DATABASE_URL: url,
    CI_PROJECT_DIR: ws,
    CI_PROJECT_ID: '42',
    CI_API_V4_URL: apiUrl,
    CI_DEFAULT_BRANCH: 'main',
    GITLAB_TOKEN: 'glpat-test-token',
    CONTEXTFORGE_PACKAGE: '',
    // What before_script exports after installing the package.
    CONTEXTFORGE_BIN: BIN,
    KIT: join(REPO, 'examples/ci'),
    ...vars,
  };
  return new Promise((done) => {
    const c = spawn('sh', ['-c', script], { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    c.stdout.on('data', (d) => (log += d));
    c.stderr.on('data', (d) => (log += d));
    c.on('close', (code) => done({ code: code ?? 1, log }));
  });
}

test.before(async () => {
  repo = configRepo(root, REPO);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      api.requests.push(`${req.method} ${path}`);
      const json = (status: number, value: unknown): void =>
        void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method === 'POST' && /^\/api\/v4\/projects\/42\/merge_requests\/7\/notes$/.test(path)) {
        api.notes.push({
          path,
          token: req.headers['private-token'] as string | undefined,
          body: new URLSearchParams(body).get('body') ?? '',
        });
        return json(201, { id: api.notes.length });
      }
      if (
        req.method === 'GET' &&
        /^\/api\/v4\/projects\/42\/repository\/commits\/[0-9a-f]+\/merge_requests$/.test(path)
      )
        return json(200, [
          { iid: 6, state: 'closed' },
          { iid: 7, state: 'merged' },
        ]);
      if (req.method === 'GET' && path === '/api/v4/projects/42/merge_requests/7/approvals')
        return json(200, { approved_by: api.approvedBy.map((u) => ({ user: { username: u } })) });
      json(404, { message: '404 Not Found' });
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`;
});

test('the pipeline runs plan on merge requests and apply on the default branch only', () => {
  assert.equal(pipeline.plan.rules, [{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
  assert.equal(pipeline.apply.rules, [{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }]);
  assert.ok(
    !pipeline.default.before_script.some((l) => /npm (install|i) .*(-g|--global)|npx contextforge/.test(l)),
    'the package is installed from CONTEXTFORGE_PACKAGE, never by a registry name',
  );
});

pgTest('merge request with a valid config: the plan is posted as a note; no credentials needed', async () => {
  url = await freshDatabase('cf_gitlab');
  repo.commit(base(), 'a valid config');
  const ws = repo.checkout();
  const r = await runJob('plan', ws, { CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_IID: '7' });
  assert.is(r.code, 0, r.log);
  assert.match(r.log, 'plan: changes pending');
  assert.is(api.notes.length, 1, r.log);
  assert.is(api.notes[0].token, 'glpat-test-token');
  assert.ok(api.notes[0].body.startsWith('<!-- contextforge-plan -->'), api.notes[0].body.slice(0, 200));
  assert.match(api.notes[0].body, 'runtime.quickstart');
  assert.is(readFileSync(join(ws, 'plan-full.md'), 'utf8'), api.notes[0].body, 'the artifact holds the plan');
});

pgTest('merge request with an invalid config: the note carries the diagnostics and the job fails', async () => {
  repo.commit(base().replace('catalog: quickstart-example', 'catalog: no-such-entry'), 'an invalid config');
  const ws = repo.checkout();
  const r = await runJob('plan', ws, { CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_IID: '7' });
  assert.is(r.code, 1, r.log);
  assert.is(api.notes.length, 2, 'the note is posted before the job fails');
  assert.match(api.notes[1].body, 'the plan failed');
  assert.match(api.notes[1].body, 'ref.unknown-catalog');
});

pgTest('default branch: apply holds the gated change until the merged request is approved', async () => {
  const sha = repo.commit(base(), 'back to the valid config');
  const ws = repo.checkout();
  api.approvedBy = [];
  let r = await runJob('apply', ws, { CI_COMMIT_BRANCH: 'main', CI_COMMIT_SHA: sha });
  assert.is(r.code, 3, r.log);
  assert.match(r.log, 'apply: approved by (nobody)');
  assert.ok(api.requests.includes(`GET /api/v4/projects/42/repository/commits/${sha}/merge_requests`));

  api.approvedBy = ['alice'];
  r = await runJob('apply', ws, { CI_COMMIT_BRANCH: 'main', CI_COMMIT_SHA: sha });
  assert.is(r.code, 0, r.log);
  assert.match(r.log, 'apply: approved by alice');
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
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  if (url) await dropDatabase(url);
  if (existsSync(root)) rmSync(root, { recursive: true, force: true });
});

test.run();
