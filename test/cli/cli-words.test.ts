// The command line explains itself (issue 19): a misspelt command or option gets a "did you
// mean", the option is named as typed (not camelCased), each verb's --help says what it does,
// --no-X flags carry no misleading "(default: true)", and `logs <runtime> -f` follows.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../config/cli-in-process.js';
import { VERBS } from '../../src/cli/verbs.js';

test('a misspelt command gets a did-you-mean and exit 1', async () => {
  const r = await runCliInProcess(['aply']);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'unknown command "aply"');
  assert.match(r.stderr, 'did you mean `contextforge apply`?');
});

test('a word far from every command gets no guess', async () => {
  const r = await runCliInProcess(['frobnicate']);
  assert.is(r.code, 1);
  assert.not.match(r.stderr, 'did you mean');
});

test('a misspelt option is reported as typed, with a did-you-mean from the command', async () => {
  const r = await runCliInProcess(['plan', '--detailed-exitcod']);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'unknown option --detailed-exitcod\n');
  assert.match(r.stderr, 'did you mean --detailed-exitcode?');
  assert.not.match(r.stderr, 'detailedExitcod');
  const v = await runCliInProcess(['apply', '--auto-aprove']);
  assert.match(v.stderr, 'unknown option --auto-aprove\n');
  assert.match(v.stderr, 'did you mean --auto-approve?');
});

test("each verb's --help says what the verb does", async () => {
  for (const [name, v] of Object.entries(VERBS)) {
    const r = await runCliInProcess([name, '--help']);
    assert.is(r.code, 0, name);
    assert.ok(r.stdout.includes(v.summary), `${name} --help lacks its summary:\n${r.stdout}`);
  }
});

test('--no-watch is not shown with "(default: true)"', async () => {
  const r = await runCliInProcess(['up', '--help']);
  const line = r.stdout.split('\n').find((l) => l.includes('--no-watch'));
  assert.ok(line, r.stdout);
  assert.not.match(line!, 'default: true');
});

test('logs <runtime> -f means --follow; the config is --file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-words-'));
  try {
    const file = join(dir, 'contextforge.yaml');
    writeFileSync(
      file,
      [
        'name: cf-words',
        'backends:',
        '  host: { type: process }',
        'catalog:',
        '  - slug: idle',
        '    name: Idle',
        '    source: { type: command, command: node, args: ["-e", "0"] }',
        '    transport: { type: stdio }',
        'runtimes:',
        '  - { name: idle, catalog: idle, backend: host, guardrails_profile: unrestricted }',
        '',
      ].join('\n'),
    );
    const r = await runCliInProcess(['logs', 'idle', '-f', '--file', file]);
    // The runtime was never applied: the verb got as far as looking for it, so -f took no value.
    assert.is(r.code, 1);
    assert.match(r.stderr, 'runtime idle has no live resource');
    assert.not.match(r.stderr, 'value is missing');
    const help = await runCliInProcess(['logs', '--help']);
    assert.match(help.stdout, /-f, --follow/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
