// A seccomp profile is part of what a runtime runs, so its content, not only its path, is in the
// spec: through the CLI on the real Docker engine, editing the profile file makes `plan` show a
// replace, and the applied container really runs the new filter (mkdir denied after the edit).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { BUSYBOX_IMAGE, ensureFixtureImages } from '../support/images.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const STACK = uniqueName('cfseccomp');
const dir = mkdtempSync(join(tmpdir(), 'cf-seccomp-e2e-'));
const configFile = join(dir, 'contextforge.yaml');
const profileFile = join(dir, 'seccomp.json');
let dockerOk = false;

const allowAll = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['reboot'], action: 'SCMP_ACT_ERRNO' }] };
const denyMkdir = {
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: ['reboot', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
};

writeFileSync(
  configFile,
  [
    `name: ${STACK}`,
    'backends:',
    '  local: { type: docker, allow_local_images: true }',
    'profiles:',
    '  filtered:',
    '    network: { egress_allowed: false }',
    '    seccomp: ./seccomp.json',
    'defaults:',
    '  guardrails_profile: filtered',
    'catalog:',
    '  - name: Sleeper',
    '    slug: sleeper',
    `    source: { type: docker, image: "${BUSYBOX_IMAGE}", command: ["/bin/sleep", "900"], pull: never }`,
    '    transport: { type: stdio }',
    'runtimes:',
    '  - { name: s, catalog: sleeper, backend: local }',
    '',
  ].join('\n'),
);

const RUNNER = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";

function cf(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', RUNNER, ...args, '-f', configFile],
      {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

async function mainContainer(): Promise<{ id: string; created: number }> {
  const list = await docker().listContainers({
    all: true,
    filters: { label: [`dev.contextforge.stack=${STACK}`, 'dev.contextforge.address=runtime.s'] },
  });
  const main = list.filter((c) => (c.Labels['dev.contextforge.role'] ?? 'main') === 'main');
  assert.is(main.length, 1, `one main container, got ${main.length}`);
  return { id: main[0].Id, created: main[0].Created };
}

async function mkdirIn(id: string): Promise<string> {
  const exec = await docker()
    .getContainer(id)
    .exec({
      Cmd: ['/bin/sh', '-c', 'mkdir /tmp/probe-dir && echo made; echo rc=$?'],
      AttachStdout: true,
      AttachStderr: true,
    });
  const stream = await exec.start({});
  let out = '';
  stream.on('data', (d: Buffer) => (out += d.toString('utf8')));
  await new Promise((r) => stream.on('end', r));
  return out;
}

test.before(async () => {
  dockerOk = await requireDocker('seccomp content (docker)');
  if (dockerOk) await ensureFixtureImages();
});

test.after(async () => {
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  rmSync(dir, { recursive: true, force: true });
});

test('editing the seccomp profile file makes plan show a replace, and apply runs the new filter', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  writeFileSync(profileFile, JSON.stringify(allowAll));
  let r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out);
  const before = await mainContainer();
  assert.match(await mkdirIn(before.id), /made/);

  r = await cf('plan', '--detailed-exitcode');
  assert.is(r.code, 0, `no change while the file is unchanged:\n${r.out}`);
  // Same content, other formatting: the canonical JSON does not move.
  writeFileSync(profileFile, JSON.stringify(allowAll, null, 2));
  r = await cf('plan', '--detailed-exitcode');
  assert.is(r.code, 0, `reformatting is no change:\n${r.out}`);

  writeFileSync(profileFile, JSON.stringify(denyMkdir));
  r = await cf('plan', '--detailed-exitcode');
  assert.is(r.code, 2, r.out);
  assert.match(r.out, /runtime\.s must be replaced|replace:guardrails-changed/);
  // The plan names the field as the config does (issue 19): the profile's seccomp, by content.
  assert.match(r.out, /seccomp \(content\)/);
  assert.match(r.out, /0 to create, 0 to update, 1 to replace, 0 to destroy/);

  r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out);
  const after = await mainContainer();
  assert.is.not(after.id, before.id, 'the container was replaced');
  assert.match(await mkdirIn(after.id), /rc=1/);
  r = await cf('plan', '--detailed-exitcode');
  assert.is(r.code, 0, `converged:\n${r.out}`);
});

test.run();
