#!/usr/bin/env node
// Runs the benchmarks under bench/ (never part of `npm test`): each prints its figures next to a
// baseline measured in the same run, as ratios. `npm run bench` lists them; `npm run bench --
// <name>…` runs those whose path contains a name (e.g. `gateway`, `plan/noop`), `-- all` runs all.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(root, 'bench');

function entries(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    // A bench's own installed peers (bench/gateway/peers/node_modules) are not benchmarks.
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...entries(p));
    else if (name.endsWith('.bench.ts') || name === 'run.ts') out.push(p);
  }
  return out;
}

const all = entries(benchDir);
const args = process.argv.slice(2);
if (args.length === 0) {
  process.stdout.write('Benchmarks (run with `npm run bench -- <name>` or `-- all`):\n');
  for (const f of all) process.stdout.write(`  ${relative(root, f)}\n`);
  process.exit(0);
}
const chosen = args.includes('all') ? all : all.filter((f) => args.some((a) => relative(benchDir, f).includes(a)));
if (chosen.length === 0) {
  process.stderr.write(`error: no benchmark matches ${args.join(', ')}; run \`npm run bench\` for the list\n`);
  process.exit(1);
}
let failed = 0;
for (const f of chosen) {
  process.stdout.write(`\n▶ ${relative(root, f)}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', f], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
