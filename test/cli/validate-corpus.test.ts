// Runs the real CLI (bin/contextforge.js → dist/) over every invalid config: exit code 1, an
// `error[` diagnostic, and never a stack trace. Also every example and valid fixture exits 0.
// Needs a build (`npm test` builds first; by hand: npx tsc -p tsconfig.json).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INVALID, VALID, yamlFiles } from '../config/markers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/contextforge.js');

interface Outcome {
  code: number | null;
  out: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', CF_FIXTURE_SET: 'set-value-0000', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Runs every CLI invocation up front with bounded parallelism; tests then check outcomes. */
const outcomes = new Map<string, Outcome>();
async function runAll(jobs: { key: string; args: string[]; env?: Record<string, string> }[]): Promise<void> {
  const width = Math.max(1, Math.min(2, availableParallelism()));
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        outcomes.set(job.key, await run(job.args, job.env));
      }
    }),
  );
}

const examples = readdirSync(join(root, 'examples'))
  .filter((n) => n.endsWith('.yaml'))
  .map((n) => join(root, 'examples', n));
const invalid = yamlFiles(INVALID);
const valid = [...examples, ...yamlFiles(VALID)];
// The examples must validate with nothing set in the environment.
const noEnv = { IBM_CLOUD_API_KEY: '', GITHUB_TOKEN: '' };

test.before(async () => {
  if (!existsSync(join(root, 'dist/cli/main.js'))) return;
  await runAll([
    ...invalid.map((f) => ({ key: f, args: ['validate', '-f', f] })),
    ...valid.map((f) => ({ key: f, args: ['validate', '-f', f], env: noEnv })),
  ]);
});

test('dist is built', () => {
  assert.ok(existsSync(join(root, 'dist/cli/main.js')), 'run `npx tsc -p tsconfig.json` first');
});

for (const fixture of invalid) {
  const name = relative(INVALID, fixture);
  test(`validate invalid/${name} exits 1 without a stack trace`, () => {
    const { code, out } = outcomes.get(fixture)!;
    assert.is(code, 1, out);
    assert.match(out, /error\[[a-z.-]+\]: /);
    assert.not.match(out, /^\s+at /m, `stack trace in output:\n${out}`);
    assert.not.match(out, /unexpected failure/);
  });
}

for (const file of valid) {
  test(`validate ${relative(root, file)} exits 0`, () => {
    const { code, out } = outcomes.get(file)!;
    assert.is(code, 0, out);
    assert.match(out, /is valid: stack "/);
  });
}

test('there are examples for docker, code engine, mixed, compose, github and approvals', () => {
  const names = examples.map((f) => relative(join(root, 'examples'), f));
  for (const n of [
    'docker-stack.yaml',
    'code-engine-stack.yaml',
    'mixed.yaml',
    'compose.yaml',
    'github.yaml',
    'approvals.yaml',
  ]) {
    assert.ok(names.includes(n), `examples/${n} is missing`);
  }
});

test('every example declares the schema for editors', () => {
  for (const f of examples) {
    const first = spawnSync('head', ['-n', '1', f], { encoding: 'utf8' }).stdout;
    assert.match(
      first,
      /^# yaml-language-server: \$schema=\.\.\/schema\/contextforge\.schema\.json/,
      relative(root, f),
    );
  }
});

test.run();
