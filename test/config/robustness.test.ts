// Seeded mutation fuzz of every example (issue 12): 5,000 deterministic mutants (deleted,
// duplicated and garbled lines, stray YAML syntax, aliases, hostile keys, numbers, paths and
// variables) run through the CLI's own entry in process, alternately as text and as --json,
// with unique secret values planted in the environment. Every run: exit 0 or 1, no stack
// trace or "unexpected failure", valid JSON, no planted secret in any byte, and bounded CPU
// time and memory. A sample of mutants also runs through the real CLI in a child process.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { outputProblems, runCliInProcess, type CliRun } from './cli-in-process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = join(root, 'examples');
const names = readdirSync(examples)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const sources = names.map((f) => readFileSync(join(examples, f), 'utf8'));
const MUTANTS = Number(process.env.CF_FUZZ_MUTANTS ?? 5000);
const CLI_SAMPLE = 24;

/** Unique values for every variable the examples read; none may ever be printed. */
const SECRETS: Record<string, string> = {
  IBM_CLOUD_API_KEY: 'fz-IBM-key-5e81c0d2a7',
  GITHUB_TOKEN: 'fz-GH-token-93b7f61e04',
  WEATHER_API_KEY: 'fz-WEATHER-key-2c4d8e1f37',
  ANALYTICS_API_TOKEN: 'fz-ANALYTICS-token-7a90b3c5d1',
  CONTEXTFORGE_GATEWAY_TOKEN: 'fz-GATEWAY-token-0123456789abcdef',
};
const SECRET_VARS = Object.keys(SECRETS);

const TOKENS = [
  '',
  ' ',
  ':',
  '- ',
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '${X}',
  '${',
  '$${',
  '&a',
  '*a',
  '<<: *a',
  '\t',
  '#',
  '!!int',
  '-1',
  '999999',
  'null',
  'true',
  '~',
  '? ',
  '|',
  '>',
  'name: x',
  // Hostile spellings from issue 12.
  '__proto__: {name: x}',
  'constructor',
  'hasOwnProperty',
  'prototype: 1',
  '.inf',
  '-.inf',
  '.nan',
  '1e400',
  '1e300',
  '99999999999999999999h',
  '"\\e[2J"',
  '"\\u202e"',
  '"\\0"',
  '/proc/self/environ',
  '/dev/zero',
  '../',
  '/**/*.x',
  '""',
  '&b [*b]',
  'x'.repeat(300),
];

/** Seeded linear congruential generator: the same mutants on every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

function mutate(text: string, rnd: () => number): string {
  const lines = text.split('\n');
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
    const i = Math.floor(rnd() * lines.length);
    const op = rnd();
    if (op < 0.2) lines.splice(i, 1);
    else if (op < 0.45) {
      const p = Math.floor(rnd() * (lines[i].length + 1));
      lines[i] = lines[i].slice(0, p) + pick(TOKENS) + lines[i].slice(p);
    } else if (op < 0.65) lines.splice(i, 0, pick(lines));
    else if (op < 0.8) lines[i] = lines[i].replace(/: .*/, `: ${pick(TOKENS)}`);
    // A planted secret moved anywhere: in a secret field, a name, a key's place, a list.
    else
      lines[i] = lines[i].replace(
        /: .*/,
        `: ${rnd() < 0.5 ? `"\${${pick(SECRET_VARS)}}"` : `\${${pick(SECRET_VARS)}}`}`,
      );
  }
  return lines.join('\n');
}

const secretValues = Object.values(SECRETS);

test(`${MUTANTS} mutants of every example through the CLI entry: bounded, valid JSON, no secret in any byte`, async () => {
  const rnd = random(20260521);
  // Mutants sit beside a copy of the examples, so that relative paths (compose files) resolve.
  const dir = mkdtempSync(join(tmpdir(), 'cf-robust-'));
  cpSync(examples, dir, { recursive: true });
  const failures: string[] = [];
  const byKind = new Map<string, number>();
  let invalid = 0;
  let maxCpu = 0;
  try {
    for (let i = 0; i < MUTANTS; i++) {
      const file = join(dir, `m${i}.yaml`);
      writeFileSync(file, mutate(sources[i % sources.length], rnd));
      const json = i % 2 === 1;
      let run: CliRun;
      try {
        run = await runCliInProcess(['validate', '-f', file, ...(json ? ['--json'] : [])], SECRETS);
      } catch (err) {
        failures.push(`m${i} (${names[i % names.length]}): the CLI entry threw: ${(err as Error).stack}`);
        continue;
      }
      maxCpu = Math.max(maxCpu, run.cpuMs);
      if (run.code === 1) invalid++;
      const problems = outputProblems(run, { json, secrets: secretValues });
      if (problems.length) {
        failures.push(`m${i} (${names[i % names.length]}, ${json ? '--json' : 'text'}): ${problems.join('; ')}`);
        for (const p of problems)
          byKind.set(
            p.replace(/".*"/, '…').replace(/[0-9]+/g, 'N'),
            (byKind.get(p.replace(/".*"/, '…').replace(/[0-9]+/g, 'N')) ?? 0) + 1,
          );
      } else rmSync(file);
    }
  } finally {
    if (failures.length === 0) rmSync(dir, { recursive: true, force: true });
  }
  const summary = [...byKind].map(([k, c]) => `${c}× ${k}`).join('; ');
  assert.equal(
    failures.length,
    0,
    `${failures.length} of ${MUTANTS} mutants fail (${summary}); kept in ${dir}:\n${failures.slice(0, 20).join('\n')}`,
  );
  assert.ok(invalid > MUTANTS / 4, `mutations should break many configs (${invalid} of ${MUTANTS} invalid)`);
  process.stdout.write(`  ${MUTANTS} mutants, ${invalid} invalid, highest CPU time per run ${maxCpu.toFixed(0)} ms\n`);
});

function runBinary(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin/contextforge.js'), ...args], {
      env: { ...process.env, NO_COLOR: '1', ...SECRETS },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test(`a sample of ${CLI_SAMPLE} mutants through the real CLI (bin/contextforge.js)`, async () => {
  const rnd = random(7031);
  const dir = mkdtempSync(join(tmpdir(), 'cf-robust-cli-'));
  cpSync(examples, dir, { recursive: true });
  const failures: string[] = [];
  try {
    for (let i = 0; i < CLI_SAMPLE; i++) {
      const file = join(dir, `s${i}.yaml`);
      writeFileSync(file, mutate(sources[i % sources.length], rnd));
      const json = i % 2 === 1;
      const r = await runBinary(['validate', '-f', file, ...(json ? ['--json'] : [])]);
      // CPU and memory are bounded per run in process (above); here the exit code is the process's own.
      const problems = outputProblems(
        { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr, cpuMs: 0, peakRssGrowth: 0 },
        { json, secrets: secretValues },
      );
      if (problems.length) failures.push(`s${i} (${json ? '--json' : 'text'}): ${problems.join('; ')}`);
    }
  } finally {
    if (failures.length === 0) rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(failures, [], `kept in ${dir}:\n${failures.join('\n')}`);
});

test.run();
