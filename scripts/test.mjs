#!/usr/bin/env node
// The project's test command: type-checks (and builds dist/, which CLI tests execute), then runs
// every test file in its own Node process under uvu, and closes with one summary line that CI
// reads: "N passed, N failed, N skipped". Usage: npm test [-- <substring of test path> ...]
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
const perFileTimeoutMs = Number(process.env.CF_TEST_TIMEOUT_MS ?? 20 * 60_000);

function step(title, cmd, args) {
  process.stdout.write(`\n▶ ${title}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`\n${title} failed.\n0 passed, 1 failed\n`);
    process.exit(1);
  }
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    const timer = setTimeout(() => {
      process.stdout.write(`\n✘ ${relative(root, file)} timed out after ${perFileTimeoutMs} ms; killed.\n`);
      child.kill('SIGKILL');
    }, perFileTimeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      const num = (label) => {
        const all = [...plain.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))];
        return all.reduce((s, m) => s + Number(m[1]), 0);
      };
      let total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped');
      let failed = total - passed - skipped;
      if ((code !== 0 || signal) && failed === 0) failed = 1;
      if (total === 0 && code === 0) failed = 0;
      resolve({ file, passed, failed, skipped, ms: Date.now() - started });
    });
  });
}

if (!process.env.CF_SKIP_TYPECHECK) {
  step('tsc (build dist/)', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
  step('tsc (type-check tests)', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.test.json']);
}

const files = findTests(join(root, 'test')).filter(
  (f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)),
);
const results = [];
for (const f of files) {
  process.stdout.write(`\n▶ ${relative(root, f)}\n`);
  results.push(await runFile(f));
}
const sum = (k) => results.reduce((s, r) => s + r[k], 0);
process.stdout.write('\nPer file:\n');
for (const r of results) {
  const mark = r.failed ? '✘' : '✔';
  process.stdout.write(`  ${mark} ${relative(root, r.file)}  ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped  (${(r.ms / 1000).toFixed(1)} s)\n`);
}
const failed = sum('failed');
process.stdout.write(`\n${sum('passed')} passed, ${failed} failed, ${sum('skipped')} skipped\n`);
process.exit(failed > 0 || results.length === 0 ? 1 : 0);
