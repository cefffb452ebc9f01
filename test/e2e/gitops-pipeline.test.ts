// The pull-request workflow kit: examples/ci/pipeline.sh run as a CI job would run it (plan →
// plan.md for the review comment; apply with the reviewers in CONTEXTFORGE_APPROVED_BY) against
// the real Docker engine, and the GitHub Actions workflow checked for the steps the README
// promises (markdown plan comment on pull requests, apply on main with the reviewers' names).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { ROOT, stackYaml } from '../watch/support.js';

const STACK = uniqueName('cfpipe');
const dir = mkdtempSync(join(tmpdir(), 'cf-pipeline-e2e-'));
const bin = join(dir, 'contextforge');
let dockerOk = false;

function pipeline(step: string, env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = spawnSync('sh', [join(ROOT, 'examples/ci/pipeline.sh'), step], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CONTEXTFORGE_BIN: bin, CONTEXTFORGE_APPROVED_BY: '', ...env },
  });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

async function running(name: string): Promise<boolean> {
  const list = await docker().listContainers({
    filters: JSON.stringify({ label: [`dev.contextforge.stack=${STACK}`], name: [`cf-${STACK}-${name}`] }),
  });
  return list.some((x) => x.Names.includes(`/cf-${STACK}-${name}`) && x.State === 'running');
}

test.before(async () => {
  dockerOk = await requireDocker('pipeline e2e');
  if (!dockerOk) return;
  await ensureFixtureImages();
  // The CLI from source, as the `contextforge` the pipeline calls.
  const loader = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const main = pathToFileURL(join(ROOT, 'src/cli/main.ts')).href;
  writeFileSync(
    bin,
    `#!/bin/sh\nexec "${process.execPath}" --import "${loader}" --input-type=module -e "import { main } from '${main}'; process.exitCode = await main(process.argv.slice(1));" "$@"\n`,
  );
  chmodSync(bin, 0o755);
  writeFileSync(
    join(dir, 'contextforge.yaml'),
    stackYaml({
      stack: STACK,
      runtimes: [{ name: 'plain' }, { name: 'risky', profile: 'wide-open' }],
      approval: [
        'enabled: true',
        'required_for:',
        '  - guardrails_profile: wide-open',
        'approvers:',
        '  - group: security-team',
      ],
    }),
  );
});

test.after(async () => {
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  rmSync(dir, { recursive: true, force: true });
});

test('pipeline.sh: plan writes the PR comment; apply holds without approvers (exit 3) and applies with them', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  let r = pipeline('plan');
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /plan: changes pending/);
  const md = readFileSync(join(dir, 'plan.md'), 'utf8');
  assert.match(md, /^### contextforge plan for stack `/);
  assert.match(md, /\| ➕ create \| 2 \|/);
  assert.match(md, /<code>\+ runtime\.risky<\/code> will be created .*needs approval/);
  assert.match(md, /#### Approvals\n\n- ✋ `runtime\.risky`: .*security-team/);

  r = pipeline('apply');
  assert.is(r.code, 3, r.out + r.err);
  assert.match(r.err, /held for approval/);
  assert.ok(await running('plain'));
  assert.not.ok(await running('risky'));

  r = pipeline('apply', { CONTEXTFORGE_APPROVED_BY: 'octocat,security-team' });
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /apply: approved by octocat,security-team/);
  assert.ok(await running('risky'));

  r = pipeline('plan');
  assert.is(r.code, 0);
  assert.match(r.out, /plan: no changes/);
  assert.match(readFileSync(join(dir, 'plan.md'), 'utf8'), /\*\*No changes\.\*\*/);
});

test('the GitHub Actions workflow plans with markdown on pull requests and applies on main with the reviewers', () => {
  const wf = parse(readFileSync(join(ROOT, 'examples/ci/github-actions.yml'), 'utf8')) as {
    on: { pull_request: unknown; push: { branches: string[] } };
    jobs: Record<
      string,
      {
        if: string;
        steps: {
          name?: string;
          run?: string;
          env?: Record<string, string>;
          uses?: string;
          with?: Record<string, string>;
        }[];
      }
    >;
  };
  assert.ok(wf.on.pull_request);
  assert.equal(wf.on.push.branches, ['main']);
  const plan = wf.jobs.plan;
  assert.match(plan.if, /pull_request/);
  assert.ok(plan.steps.some((s) => /CONTEXTFORGE_BIN" plan .*--format markdown/.test(s.run ?? '')));
  assert.ok(
    plan.steps.some(
      (s) => s.uses?.startsWith('actions/github-script') && /createComment|updateComment/.test(s.with?.script ?? ''),
    ),
  );
  const apply = wf.jobs.apply;
  assert.match(apply.if, /push/);
  const step = apply.steps.find((s) => /CONTEXTFORGE_BIN" apply/.test(s.run ?? ''))!;
  assert.ok(step, 'an apply step');
  assert.match(step.env!.CONTEXTFORGE_APPROVED_BY, /steps\.approvers\.outputs\.list/);
  const who = apply.steps.find((s) => s.with?.script?.includes('listReviews'));
  assert.ok(who, 'the reviews of the merged pull request are fetched');
  assert.ok(
    apply.steps.some((s) => /ci-kit\.mjs/.test(s.run ?? '') && /"\$kit" approvers reviews\.json/.test(s.run ?? '')),
    'approvers are computed by the kit (test/e2e/ci-kit.test.ts)',
  );
});

test.run();
