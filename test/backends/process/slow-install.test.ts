// A process runtime whose first start installs for 60 s (as a cold `npx -y …` does) starts: the
// MCP handshake waits as long as the catalog entry's `health.timeout`, not a fixed 20 s, and the
// supervisor's next warm child waits until the first one has answered, so the install runs once
// (two installs at the same time raced each other and failed the start). The slow install is a
// real `sleep 60` in a real shell script; the test waits for the apply to exit, not for a time.
// The plan's tool-surface discovery also runs the command, with an empty environment: the script
// installs only with the runtime's SLOW_INSTALL set, so that run neither installs nor counts
// (a 60 s install there raced the discovery's own 60 s timeout, and when the timeout won, the
// install was cut short and apply ran a second one).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const SERVER = resolve(root, 'examples/quickstart-server/server.js');
const dir = mkdtempSync(join(tmpdir(), 'cf-slow-install-'));
const configFile = join(dir, 'contextforge.yaml');
const script = join(dir, 'slow-server.sh');
const installs = join(dir, 'installs.log');

writeFileSync(
  script,
  [
    '#!/bin/sh',
    '# First run: a 60 s "install" (a real slow command); later runs find it done and start at once.',
    `if [ -n "$SLOW_INSTALL" ] && [ ! -f '${dir}/installed' ]; then`,
    `  echo "install $$" >> '${installs}'`,
    '  sleep 60',
    `  touch '${dir}/installed'`,
    'fi',
    `exec '${process.execPath}' '${SERVER}'`,
    '',
  ].join('\n'),
);
chmodSync(script, 0o755);
writeFileSync(
  configFile,
  [
    'name: slowinstall',
    'backends:',
    '  host:',
    '    type: process',
    'catalog:',
    '  - name: Slow',
    '    slug: slow',
    `    source: { type: command, command: /bin/sh, args: ['${script}'] }`,
    '    transport: { type: stdio }',
    '    guardrails_profile: unrestricted',
    '    health: { timeout: 5m }',
    'runtimes:',
    '  - name: slow',
    '    catalog: slow',
    '    backend: host',
    '    env: { SLOW_INSTALL: "1" }',
    '',
  ].join('\n'),
);

const RUNNER = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";

function cf(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', RUNNER, ...args, '-f', configFile],
    { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((res) => child.on('close', (code) => res({ code: code ?? 1, out, err })));
}

test.after(async () => {
  await cf('destroy', '--auto-approve');
  rmSync(dir, { recursive: true, force: true });
});

test('a process runtime with a 60 s first-run install starts, and installs once', async () => {
  const r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  assert.ok(existsSync(join(dir, 'installed')), 'the install ran to its end');
  const st = await cf('status', '--json');
  const runtimes = (JSON.parse(st.out) as { runtimes: { runtime: string; state: string }[] }).runtimes;
  assert.equal(
    runtimes.map((x) => [x.runtime, x.state]),
    [['slow', 'running']],
  );
  // The warm spare started after the first child answered, so it found the install done.
  const lines = readFileSync(installs, 'utf8').trim().split('\n');
  assert.is(lines.length, 1, `installs: ${lines.join(' | ')}\napply said:\n${r.out}${r.err}`);
});

test.run();
