#!/usr/bin/env node
// The project's test command: type-checks (and builds dist/, which CLI tests execute), then runs
// every test file in its own Node process under uvu, several at a time, with lint and the format
// check as counted checks of a whole run, and closes with one summary line that CI reads:
// "N passed, N failed, N skipped". It owns scheduling, counting and printing; it must not decide
// what a test asserts. Usage:
//   npm test [-- <substring of test path> ...]      unit and e2e files
//   npm run test:unit / npm run test:e2e [-- ...]   one kind only
// A file is e2e when it lives under test/e2e/ or imports the Docker test support (it needs the
// shared Docker daemon); every other file is a unit file. Unit files run in parallel, bounded by
// the cores (CF_TEST_JOBS overrides); e2e files run at most two at a time (CF_TEST_E2E_JOBS),
// since they share one daemon. Each file's output is printed as one block when it finishes.
// A test that returns skip() (test/support/skip.ts) or uvu's test.skip is counted as skipped;
// under CI (env CI set) an environment skip is a failure.
// Every test process (and every CLI it spawns with the inherited environment) sees the test
// catalog: CONTEXTFORGE_CATALOG_PATH=test/fixtures/catalog:examples/catalog, the entries built on
// this repository's fixture images (everything, everything-sse, …) and the placeholders that the
// shipped catalog/ leaves out. The examples' own entries are the tests' too: one copy of each.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const kinds = argv.includes('--unit') ? ['unit'] : argv.includes('--e2e') ? ['e2e'] : ['unit', 'e2e'];
const filters = argv.filter((a) => a !== '--unit' && a !== '--e2e');
const perFileTimeoutMs = Number(process.env.CF_TEST_TIMEOUT_MS ?? 20 * 60_000);
const ci = Boolean(process.env.CI);
const cores = availableParallelism();
const unitJobs = Math.max(1, Number(process.env.CF_TEST_JOBS ?? cores));
const e2eJobs = Math.max(1, Number(process.env.CF_TEST_E2E_JOBS ?? Math.min(2, cores)));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const started = Date.now();
const fixtureCatalog = [join(root, 'test/fixtures/catalog'), join(root, 'examples/catalog')].join(delimiter);

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

// A file needs the Docker daemon when it imports the test-side Docker or fixture-image support.
const DOCKER_IMPORT =
  /from\s+['"](?:\.\.\/)+(?:support\/(?:docker|images)|backends\/docker\/fixtures)\.js['"]|from\s+['"]dockerode['"]/;

function kindOf(file) {
  const rel = relative(root, file);
  if (rel.startsWith(`test${sep}e2e${sep}`)) return 'e2e';
  return DOCKER_IMPORT.test(readFileSync(file, 'utf8')) ? 'e2e' : 'unit';
}

/**
 * Runs one command to completion with its output captured, and resolves with its counts. A test
 * file reports through uvu's closing counts and the skip markers; a check (tsc, lint) counts as
 * one passed or one failed by its exit status.
 */
/** Process groups of the files running now; ended with the run on Ctrl-C or SIGTERM. */
const groups = new Set();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const pid of groups) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

function runJob(job) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    // Each file runs in a process group of its own: when it ends (or is killed for its time),
    // whatever it started and left behind in that group ends too. Otherwise a leftover holding
    // the file's stdout kept 'close' from ever firing and the whole run hung (a killed soak
    // test's forked gateway did, in CI). Detached children (process supervisors) are their own.
    const child = spawn(job.cmd, job.args, {
      cwd: root,
      env: {
        ...process.env,
        ...(job.check ? {} : { CONTEXTFORGE_CATALOG_PATH: fixtureCatalog }),
        FORCE_COLOR: process.stdout.isTTY ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    groups.add(child.pid);
    const killGroup = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already empty.
      }
    };
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, perFileTimeoutMs);
    // Output already in the pipes stays readable after the writers are gone.
    child.on('exit', killGroup);
    child.on('close', (code, signal) => {
      groups.delete(child.pid);
      clearTimeout(timer);
      if (timedOut) out += `\n✘ ${job.title} timed out after ${perFileTimeoutMs} ms; killed.\n`;
      const counts = job.check ? checkCounts(code, signal) : fileCounts(out, code, signal);
      resolve({ ...job, ...counts, out, ms: Date.now() - t0 });
    });
  });
}

function checkCounts(code, signal) {
  const ok = code === 0 && !signal;
  return { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, notes: [] };
}

function fileCounts(out, code, signal) {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label) =>
    [...plain.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))].reduce((s, m) => s + Number(m[1]), 0);
  const total = num('Total');
  const uvuSkipped = num('Skipped');
  // Tests that returned skip() finished normally, so uvu counted them as passed.
  const envSkips = (plain.match(/\[cf-skip\] /g) ?? []).length;
  const naSkips = (plain.match(/\[cf-skip:not-applicable\] /g) ?? []).length;
  let passed = Math.max(0, num('Passed') - envSkips - naSkips);
  let failed = Math.max(0, total - num('Passed') - uvuSkipped);
  let skipped = uvuSkipped + envSkips + naSkips;
  const notes = [];
  if (ci && uvuSkipped + envSkips > 0) {
    // Under CI a test that could not run is a failure: nothing may pass for want of its engine.
    failed += uvuSkipped + envSkips;
    skipped -= uvuSkipped + envSkips;
    notes.push(`${uvuSkipped + envSkips} skip(s) under CI counted as failures`);
  }
  if ((code !== 0 || signal) && failed === 0) failed = 1;
  if (total === 0 && code === 0) failed = 0;
  passed = Math.max(0, passed);
  return { passed, failed, skipped, notes };
}

/** Runs jobs with at most `limit` at a time; prints each one's block as it finishes. */
async function pool(jobs, limit, onDone) {
  const queue = [...jobs];
  const results = [];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const r = await runJob(job);
      onDone(r);
      results.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

function printBlock(r) {
  const mark = r.failed ? '✘' : r.skipped ? '↷' : '✔';
  const body = r.out.endsWith('\n') || r.out === '' ? r.out : `${r.out}\n`;
  const skips = r.skipped ? `, ${r.skipped} skipped` : '';
  const notes = r.notes.length ? ` [${r.notes.join('; ')}]` : '';
  process.stdout.write(
    `\n▶ ${r.title}\n${body}${mark} ${r.title}: ${r.passed} passed, ${r.failed} failed${skips} (${(r.ms / 1000).toFixed(1)} s)${notes}\n`,
  );
}

const results = [];

// Type-checks first: CLI tests execute dist/, so nothing else may start before it is built.
if (!process.env.CF_SKIP_TYPECHECK) {
  const checks = [
    { title: 'tsc (build dist/)', cmd: process.execPath, args: [join(root, 'scripts/build.mjs')], check: true },
    { title: 'tsc (type-check tests)', cmd: process.execPath, args: [tsc, '-p', 'tsconfig.test.json'], check: true },
  ];
  const done = await pool(checks, unitJobs, printBlock);
  results.push(...done);
  if (done.some((r) => r.failed)) {
    process.stdout.write(
      `\nType-check failed; no tests were run.\n0 passed, ${done.filter((r) => r.failed).length} failed, 0 skipped\n`,
    );
    process.exit(1);
  }
}

const files = findTests(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .map((f) => ({
    file: f,
    title: relative(root, f),
    kind: kindOf(f),
    cmd: process.execPath,
    args: ['--import', 'tsx', f],
  }))
  .filter((j) => kinds.includes(j.kind));
// Larger files tend to run longer; starting them first keeps the tail of the run short.
const bySize = (a, b) => statSync(b.file).size - statSync(a.file).size;
const unit = files.filter((j) => j.kind === 'unit').sort(bySize);
const e2e = files.filter((j) => j.kind === 'e2e').sort(bySize);

// Lint and format are counted checks of a whole run (CI's), not of a narrowed one.
const checks =
  filters.length === 0 && kinds.includes('unit')
    ? [
        {
          title: 'lint (eslint)',
          cmd: process.execPath,
          args: [join(root, 'node_modules/eslint/bin/eslint.js'), '.'],
          check: true,
        },
        {
          title: 'format check (prettier)',
          cmd: process.execPath,
          args: [join(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', '**/*.{ts,mjs,js}'],
          check: true,
        },
      ]
    : [];

const [unitResults, e2eResults] = await Promise.all([
  pool([...checks, ...unit], unitJobs, printBlock),
  pool(e2e, e2eJobs, printBlock),
]);
results.push(...unitResults, ...e2eResults);

const sum = (k) => results.reduce((s, r) => s + r[k], 0);
process.stdout.write(
  `\nPer file (${unit.length} unit at ${unitJobs} at a time, ${e2e.length} e2e at ${e2eJobs} at a time; ${((Date.now() - started) / 1000).toFixed(0)} s in all):\n`,
);
for (const r of results) {
  const mark = r.failed ? '✘' : r.skipped ? '↷' : '✔';
  process.stdout.write(
    `  ${mark} ${r.title}  ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped  (${(r.ms / 1000).toFixed(1)} s)\n`,
  );
}
const failed = sum('failed');
process.stdout.write(`\n${sum('passed')} passed, ${failed} failed, ${sum('skipped')} skipped\n`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
