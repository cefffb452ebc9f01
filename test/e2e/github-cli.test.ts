// GitHub source through the CLI: `plan` prints the build step, a broken Dockerfile makes `apply`
// exit 1 with the build log lines in the diagnostic, `logs --build` prints the stored log even
// though no container exists, and the github token (set through ${GITHUB_TOKEN}) appears in no
// output, build log or state file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { removeByLabel, requireDocker } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { LocalRepo } from '../sources/harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUNNER = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";
const TOKEN = `ghp_${randomBytes(12).toString('hex')}`;
let enabled = false;
const dir = mkdtempSync(join(tmpdir(), 'cf-ghcli-'));
const stack = `cfghcli-${randomBytes(3).toString('hex')}`;
let transcript = '';

function cli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RUNNER, ...args], {
      cwd: root,
      env: { ...process.env, GITHUB_TOKEN: TOKEN, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => {
      transcript += out;
      resolve({ code: code ?? 1, out });
    });
  });
}

function filesUnder(d: string): string[] {
  return readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? filesUnder(join(d, n)) : [join(d, n)]));
}

test.before(async () => {
  enabled = await requireDocker('github source through the CLI (e2e)');
  if (enabled) await ensureFixtureImages();
});

test.after(async () => {
  if (enabled) await removeByLabel({ 'dev.contextforge.stack': stack }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('plan shows the build step; a failed build exits 1 with its log; logs --build; no token anywhere', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  mkdirSync(join(dir, 'repos', 'acme', 'srv'), { recursive: true });
  const repo = new LocalRepo(join(dir, 'repos', 'acme', 'srv'));
  await repo.init();
  await repo.commit({ Dockerfile: 'FROM contextforge-fixture/node:20\nCOPY no-such-file.txt /app/\n' }, 'broken');
  const file = join(dir, 'contextforge.yaml');
  writeFileSync(
    file,
    [
      `name: ${stack}`,
      'github:',
      '  base_url: repos',
      '  token: ${GITHUB_TOKEN}',
      'backends:',
      '  local: { type: docker }',
      'catalog:',
      `  - { name: Srv, slug: srv-${stack.slice(-6)}, source: { type: github, repo: acme/srv, branch: main }, transport: { type: streamable-http, port: 8080, path: /mcp } }`,
      'runtimes:',
      `  - { name: srv, catalog: srv-${stack.slice(-6)}, backend: local, guardrails_profile: unrestricted }`,
      '',
    ].join('\n'),
  );

  const plan = await cli(['plan', '-f', file]);
  assert.is(plan.code, 0, plan.out);
  assert.match(plan.out, /» build/);
  const apply = await cli(['apply', '--auto-approve', '-f', file]);
  assert.is(apply.code, 1, apply.out);
  assert.match(apply.out, /docker\.build-failed/);
  assert.match(apply.out, /COPY no-such-file\.txt/, 'the build log lines are in the diagnostic');
  const logs = await cli(['logs', 'srv', '--build', '--file', file]);
  assert.is(logs.code, 0, logs.out);
  assert.match(logs.out, /cloning .* at [0-9a-f]{12} \(main\)/);
  assert.match(logs.out, /no-such-file\.txt/);

  assert.not.ok(transcript.includes(TOKEN), 'the token is in no CLI output');
  for (const f of filesUnder(join(dir, '.contextforge'))) {
    assert.not.ok(readFileSync(f).includes(TOKEN), `the token is not in ${f}`);
  }
});

test.run();
