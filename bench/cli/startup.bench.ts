// CLI start-up against Node's floor (prints figures; never pass/fail). Each round runs, in a
// rotated order, `node -e 0` and the compiled CLI (bin/contextforge.js over dist/) for
// `--version`, `--help` and `validate` of the quick start, each as a fresh process, and divides
// each CLI time by that round's `node -e 0`. Reported: the median and range of those per-round
// ratios, and the median wall time; the same for the CPU time each process used (user + system,
// reported by the process itself at exit through the preload cpu-at-exit.cjs, which every target,
// `node -e 0` included, runs: much less sensitive to the machine's load than wall time). CONTEXTFORGE_CLI_BEFORE names another build's
// bin/contextforge.js (e.g. main before a change) timed in the same rounds, and adds rows
// `now / before` (per-round ratios of the two builds).
// Run: npm run bench -- cli   (BENCH_ROUNDS=n, default 15; build first: npm run build)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'contextforge.js');
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('build the CLI first: npm run build');
const before = process.env.CONTEXTFORGE_CLI_BEFORE;
const rounds = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 15));

interface Target {
  label: string;
  args: string[];
  cwd: string;
}
const cases = (b: string, tag: string): Target[] => [
  { label: `${tag} --version`, args: [b, '--version'], cwd: root },
  { label: `${tag} --help`, args: [b, '--help'], cwd: root },
  // The quick start of the build's own checkout (the config of the repository root).
  { label: `${tag} validate (quick start)`, args: [b, 'validate'], cwd: join(dirname(b), '..') },
];
const floor: Target = { label: 'node -e 0', args: ['-e', '0'], cwd: root };
const targets = [floor, ...cases(bin, 'now'), ...(before ? cases(before, 'before') : [])];

const cpuPreload = join(root, 'bench', 'cli', 'cpu-at-exit.cjs');
const scratch = mkdtempSync(join(tmpdir(), 'cf-bench-cli-'));
const cpuOut = join(scratch, 'cpu');
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

function timeOnce(t: Target): { wall: number; cpu: number } {
  rmSync(cpuOut, { force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-r', cpuPreload, ...t.args], {
    cwd: t.cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CF_BENCH_CPU_OUT: cpuOut },
  });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${t.label} exited ${r.status}: ${r.stderr}`);
  return { wall, cpu: Number(readFileSync(cpuOut, 'utf8').trim()) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `cli start-up bench: node ${process.version}, ${rounds} rounds, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (${cpus().length} cores)`,
);
// One warm-up round fills the page cache so that the first round is not all disk.
for (const t of targets) timeOnce(t);
const times = new Map<string, number[]>(targets.map((t) => [t.label, []]));
const ratios = new Map<string, number[]>(targets.map((t) => [t.label, []]));
const cpus_ = new Map<string, number[]>(targets.map((t) => [t.label, []]));
const cpuRatios = new Map<string, number[]>(targets.map((t) => [t.label, []]));
/** Per round, `now X` ÷ `before X` (wall and CPU), when a before build is given. */
const versus = new Map<string, { wall: number[]; cpu: number[] }>();
for (let r = 0; r < rounds; r++) {
  // Rotate the order each round so that a load swing does not always hit the same target.
  const order = targets.map((_, i) => targets[(i + r) % targets.length]);
  const round = new Map(order.map((t) => [t.label, timeOnce(t)]));
  const base = round.get(floor.label)!;
  for (const [label, m] of round) {
    times.get(label)!.push(m.wall);
    ratios.get(label)!.push(m.wall / base.wall);
    cpus_.get(label)!.push(m.cpu);
    cpuRatios.get(label)!.push(m.cpu / base.cpu);
    if (before && label.startsWith('now ')) {
      const then = round.get(label.replace(/^now /, 'before '))!;
      const v = versus.get(label) ?? { wall: [], cpu: [] };
      v.wall.push(m.wall / then.wall);
      v.cpu.push(m.cpu / then.cpu);
      versus.set(label, v);
    }
  }
}
const range = (rs: number[]): string =>
  `x${median(rs).toFixed(2)} (rounds ${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)})`;
console.log('  wall time (median ms, then median and range of per-round ratios to node -e 0):');
for (const t of targets) {
  const rs = ratios.get(t.label)!;
  const ratio = t === floor ? '' : `  ${range(rs)}`;
  console.log(`  ${t.label.padEnd(36)} median ${median(times.get(t.label)!).toFixed(0).padStart(5)} ms${ratio}`);
}
console.log('  CPU time, user + system (same):');
for (const t of targets) {
  const rs = cpuRatios.get(t.label)!;
  const ratio = t === floor ? '' : `  ${range(rs)}`;
  console.log(`  ${t.label.padEnd(36)} median ${median(cpus_.get(t.label)!).toFixed(0).padStart(5)} ms${ratio}`);
}
if (versus.size > 0) {
  console.log('  now / before (per-round ratios of the two builds):');
  for (const [label, v] of versus)
    console.log(`  ${label.replace(/^now /, '').padEnd(36)} wall ${range(v.wall)}  CPU ${range(v.cpu)}`);
}
console.log(
  `  load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
