// CLI start-up against Node's floor (prints figures; never pass/fail). Each round runs, in a
// rotated order, `node -e 0` and the compiled CLI (bin/contextforge.js over dist/) for
// `--version`, `--help` and `validate` of the quick start, each as a fresh process, and divides
// each CLI time by that round's `node -e 0`. Reported: the median and range of those per-round
// ratios, and the median wall time. CONTEXTFORGE_CLI_BEFORE names another build's
// bin/contextforge.js (e.g. main before a change) timed in the same rounds.
// Run: npm run bench -- cli   (BENCH_ROUNDS=n, default 15; build first: npm run build)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
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

function timeOnce(t: Target): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, t.args, { cwd: t.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${t.label} exited ${r.status}: ${r.stderr}`);
  return ms;
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
for (let r = 0; r < rounds; r++) {
  // Rotate the order each round so that a load swing does not always hit the same target.
  const order = targets.map((_, i) => targets[(i + r) % targets.length]);
  const round = new Map(order.map((t) => [t.label, timeOnce(t)]));
  const base = round.get(floor.label)!;
  for (const [label, ms] of round) {
    times.get(label)!.push(ms);
    ratios.get(label)!.push(ms / base);
  }
}
for (const t of targets) {
  const rs = ratios.get(t.label)!;
  const ratio =
    t === floor
      ? ''
      : `  x${median(rs).toFixed(2)} node -e 0 (rounds ${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)})`;
  console.log(`  ${t.label.padEnd(36)} median ${median(times.get(t.label)!).toFixed(0).padStart(5)} ms${ratio}`);
}
console.log(
  `  load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
