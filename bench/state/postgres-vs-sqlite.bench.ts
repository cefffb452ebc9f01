// State store benchmark (prints figures; never pass/fail): the same 20-runtime stack on the
// process backend, run through the real CLI with `state: sqlite` (baseline) and with
// `state: postgres` in the same run, rounds alternating so load drift hits both alike:
//  1. apply of 20 new runtimes (each a supervised quick-start server),
//  2. a no-op plan (everything applied, nothing to do),
//  then destroy. Reports medians and PostgreSQL/SQLite ratios (target: ≤ 1.2).
// Needs CF_TEST_DATABASE_URL (scripts/postgres-cluster.sh start DIR prints one) and dist/ built.
// Run: node --import tsx bench/state/postgres-vs-sqlite.bench.ts [rounds=3]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dropDatabase, freshDatabase } from '../../test/support/postgres.js';

const REPO = resolve('.');
const BIN = join(REPO, 'bin', 'contextforge.js');
const ROUNDS = Number(process.argv[2] ?? 3);
const RUNTIMES = 20;
if (!process.env.CF_TEST_DATABASE_URL) {
  process.stderr.write('set CF_TEST_DATABASE_URL (bash scripts/postgres-cluster.sh start /tmp/cf-pg-bench)\n');
  process.exit(1);
}

function stackDir(kind: 'sqlite' | 'postgres'): string {
  const dir = mkdtempSync(join(tmpdir(), `cf-bench-state-${kind}-`));
  mkdirSync(join(dir, 'examples'));
  cpSync(join(REPO, 'examples', 'quickstart-server'), join(dir, 'examples', 'quickstart-server'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const base = readFileSync(join(REPO, 'contextforge.yaml'), 'utf8').replace(/\nruntimes:[\s\S]*?(\n\S|$)/, '$1');
  const runtimes = Array.from(
    { length: RUNTIMES },
    (_, i) => `  - name: r${i}\n    catalog: quickstart-example\n    backend: local\n`,
  ).join('');
  const state = kind === 'postgres' ? '\nstate:\n  backend: postgres\n  url: ${DATABASE_URL}\n' : '';
  writeFileSync(join(dir, 'contextforge.yaml'), `${base.trimEnd()}\nruntimes:\n${runtimes}${state}`);
  return dir;
}

function timed(dir: string, url: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: url, NO_COLOR: '1' },
  });
  const ms = performance.now() - t0;
  if (r.status !== 0 && !(args[0] === 'plan' && r.status === 2))
    throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const figures: Record<'sqlite' | 'postgres', { apply: number[]; noop: number[] }> = {
  sqlite: { apply: [], noop: [] },
  postgres: { apply: [], noop: [] },
};

for (let round = 0; round < ROUNDS; round++) {
  const order: ('sqlite' | 'postgres')[] = round % 2 === 0 ? ['sqlite', 'postgres'] : ['postgres', 'sqlite'];
  for (const kind of order) {
    const url = kind === 'postgres' ? await freshDatabase('cf_bench') : '';
    const dir = stackDir(kind);
    try {
      figures[kind].apply.push(timed(dir, url, ['apply', '--auto-approve']));
      figures[kind].noop.push(timed(dir, url, ['plan', '--detailed-exitcode']));
      timed(dir, url, ['destroy', '--auto-approve']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      if (url) await dropDatabase(url);
    }
  }
  process.stdout.write(`round ${round + 1}/${ROUNDS} done\n`);
}

const f = (n: number): string => `${n.toFixed(0).padStart(7)} ms`;
process.stdout.write(`\nState store: ${RUNTIMES}-runtime stack, process backend, ${ROUNDS} rounds, medians\n`);
process.stdout.write(`                     sqlite     postgres   ratio\n`);
for (const k of ['apply', 'noop'] as const) {
  const s = median(figures.sqlite[k]);
  const p = median(figures.postgres[k]);
  process.stdout.write(
    `${(k === 'apply' ? `apply (${RUNTIMES} new)` : 'no-op plan').padEnd(18)} ${f(s)}  ${f(p)}   ${(p / s).toFixed(2)}\n`,
  );
}
