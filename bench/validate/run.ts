// Benchmark of the config front end: validates generated stacks of 1,000 and 10,000 runtimes
// with 200 catalog entries (one file each) and reports the median time and peak memory of
// each, next to a same-run baseline: the bare YAML parse + ajv validation of the same files,
// without source positions, interpolation, includes or semantic checks. Memory is measured
// twice: in this (tsx) process, and in a fresh child running the compiled dist/ code the CLI
// runs. The 10,000/1,000 ratios show whether validation grows linearly (10x) or worse.
// Run: node --import tsx bench/validate/run.ts  (npx tsc -p tsconfig.json first for the child)
// BENCH_SIZES=1000,10000 picks the sizes; BENCH_RUNS the runs of the smallest (larger: fewer).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfigSync } from '../../src/config/index.js';
import { validator } from '../../src/config/schemas.js';
import { glob } from '../../src/config/glob.js';

const SIZES = (process.env.BENCH_SIZES ?? process.env.BENCH_RUNTIMES ?? '1000,10000').split(',').map(Number);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 200);
const BASE_RUNS = Number(process.env.BENCH_RUNS ?? 15);

function generate(dir: string, RUNTIMES: number): string {
  mkdirSync(join(dir, 'catalog'));
  mkdirSync(join(dir, 'profiles'));
  for (let i = 0; i < ENTRIES; i++) {
    const kind = i % 4;
    const source =
      kind === 3
        ? `source:\n  type: github\n  repo: example-org/server-${i}\n  tag: v1.${i}.0\n`
        : `source:\n  type: docker\n  image: ghcr.io/example/server-${i}:1.${i}.0\n  args: [--port, "8080"]\n`;
    writeFileSync(
      join(dir, 'catalog', `server-${i}.yaml`),
      [
        `name: Server ${i}`,
        `slug: server-${i}`,
        `description: Generated server number ${i} for the validate benchmark`,
        `category: ${['data', 'tools', 'ai', 'storage'][kind]}`,
        `tags: [generated, bench, group-${i % 10}]`,
        'supported_backends: [docker, ibm_code_engine]',
        source.trimEnd(),
        'transport: { type: streamable-http, port: 8080, path: /mcp }',
        `guardrails_profile: ${i % 2 ? 'standard' : 'team'}`,
        'env:',
        '  LOG_LEVEL: { description: Log level, default: info }',
        '  API_TOKEN: { description: Token, secret: true, required: false }',
        `featured: ${i < 5}`,
      ].join('\n') + '\n',
    );
  }
  writeFileSync(
    join(dir, 'profiles', 'team.yaml'),
    'name: team\nnetwork: { egress_allowed: true, allowed_hosts: ["*.example.com"] }\nfilesystem: { read_only_root: true }\ncapabilities: { drop_all: true }\nresources: { max_cpu: "1", max_memory: 1g, max_pids: 200 }\n',
  );
  const lines = [
    'name: bench-stack',
    'backends:',
    ...[0, 1, 2].map(
      (b) =>
        `  docker${b}:\n    type: docker\n    allowed_registries: [ghcr.io]\n    default_limits: { cpu: "1", memory: 1g, pids: 200 }`,
    ),
    'gateway:',
    '  port: 4444',
    '  auth: { tokens: ["${BENCH_TOKEN:-bench-token-0123456789abcdef}"] }',
    '  servers:',
    ...Array.from(
      { length: 20 },
      (_, v) =>
        `    - name: group-${v}\n      runtimes: [${Array.from({ length: 10 }, (_, k) => `rt-${v * 10 + k}`).join(', ')}]`,
    ),
    'runtimes:',
  ];
  for (let i = 0; i < RUNTIMES; i++) {
    lines.push(
      `  - name: rt-${i}`,
      `    catalog: server-${i % ENTRIES}`,
      `    backend: docker${i % 3}`,
      `    env: { LOG_LEVEL: "\${LOG_LEVEL:-debug}", REPLICA: "${i}" }`,
      `    secrets: { API_TOKEN: "\${API_TOKEN_${i % 7}:-secret-${i}-value}" }`,
      `    scale: { min: 0, max: ${1 + (i % 5)} }`,
      `    labels: { team: team-${i % 12}, tier: "${i % 3}" }`,
    );
  }
  const path = join(dir, 'contextforge.yaml');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface SizeReport {
  runtimes: number;
  runs: number;
  configBytes: number;
  validateMedianMs: number;
  validateMinMs: number;
  validateCpuMedianMs: number;
  baselineMedianMs: number;
  ratio: number;
  peakRssMb: number;
  maxRssMb: number;
  warnings: number;
  childMaxRssMb: number | null;
  childStartRssMb: number | null;
  childColdMs: number | null;
}

/** Generates one stack of `RUNTIMES` runtimes and measures it against the baseline. */
async function measure(RUNTIMES: number, RUNS: number): Promise<SizeReport> {
  // BENCH_KEEP=1 leaves the generated stack on disk (its path is printed) for profiling.
  const dir = mkdtempSync(join(tmpdir(), 'cf-bench-validate-'));
  try {
    const path = generate(dir, RUNTIMES);
    const env = { ...process.env };
    let peakRss = process.memoryUsage().rss;
    const sample = (): void => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    };

    // Baseline: the same files, bare yaml.parse + ajv validation only.
    const baseline = (): number => {
      const t = performance.now();
      const cfgOk = validator('config')(parse(readFileSync(path, 'utf8')));
      let ok = cfgOk;
      for (const f of glob('catalog/*.yaml', dir).files)
        ok = (validator('catalog')(parse(readFileSync(f, 'utf8'))) as boolean) && ok;
      for (const f of glob('profiles/*.yaml', dir).files)
        ok = (validator('profile')(parse(readFileSync(f, 'utf8'))) as boolean) && ok;
      if (!ok) throw new Error('baseline: generated config failed schema validation');
      return performance.now() - t;
    };
    const cpu: number[] = [];
    const full = (): number => {
      const t = performance.now();
      const c = process.cpuUsage();
      const r = loadConfigSync(path, { env });
      const elapsed = performance.now() - t;
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1000);
      if (!r.value)
        throw new Error(
          `generated config is invalid: ${r.diags
            .slice(0, 3)
            .map((d) => d.summary)
            .join('; ')}`,
        );
      if (r.value.runtimes.length !== RUNTIMES) throw new Error('runtime count mismatch');
      return elapsed;
    };

    // Warm-up: compiles the schemas and JITs the code paths once, outside the measurements.
    baseline();
    full();
    const base: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      base.push(baseline());
      sample();
      ours.push(full());
      sample();
    }
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    // A fresh process with the compiled code: the memory a `contextforge validate` really needs.
    const dist = fileURLToPath(new URL('../../dist/config/index.js', import.meta.url));
    let child:
      { ok: boolean; ms: number; startRss: number; afterImport: number; endRss: number; maxRss: number } | undefined;
    if (existsSync(dist)) {
      const c = spawnSync(process.execPath, [fileURLToPath(new URL('./child.mjs', import.meta.url)), dist, path], {
        encoding: 'utf8',
      });
      child = c.status === 0 ? JSON.parse(c.stdout) : undefined;
      if (!child?.ok) throw new Error(`child validation failed: ${c.stderr}`);
    }
    const mb = (b: number): number => Number((b / 1024 / 1024).toFixed(1));
    const cold = loadConfigSync(path, { env });
    return {
      runtimes: RUNTIMES,
      runs: RUNS,
      configBytes: readFileSync(path).length,
      validateMedianMs: Number(median(ours).toFixed(1)),
      validateMinMs: Number(Math.min(...ours).toFixed(1)),
      // CPU time of this process during a validate (all threads, GC included): on a machine
      // shared with other work, a steadier figure than wall time.
      validateCpuMedianMs: Number(median(cpu.slice(1)).toFixed(1)),
      baselineMedianMs: Number(median(base).toFixed(1)),
      ratio: Number((median(ours) / median(base)).toFixed(2)),
      peakRssMb: mb(peakRss),
      maxRssMb: Number(maxRssMb.toFixed(1)),
      warnings: cold.diags.length,
      childMaxRssMb: child ? mb(child.maxRss) : null,
      childStartRssMb: child ? mb(child.startRss) : null,
      childColdMs: child ? Number(child.ms.toFixed(1)) : null,
    };
  } finally {
    if (process.env.BENCH_KEEP) process.stdout.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const os = await import('node:os');
const reports: SizeReport[] = [];
for (const size of SIZES) {
  // Fewer runs of the larger stacks: each takes proportionally longer.
  const runs = Math.max(3, Math.round((BASE_RUNS * SIZES[0]) / size));
  const report = await measure(size, runs);
  reports.push(report);
  process.stdout.write(
    `validate: ${size} runtimes, ${ENTRIES} catalog entries (${(report.configBytes / 1024).toFixed(0)} KiB config + ${ENTRIES} files), ${runs} runs\n` +
      `  median ${report.validateMedianMs} ms (min ${report.validateMinMs} ms, CPU time median ${report.validateCpuMedianMs} ms); baseline yaml.parse+ajv ${report.baselineMedianMs} ms; ratio ${report.ratio}x\n` +
      `  this process (tsx): peak RSS ${report.peakRssMb} MB (maxRSS ${report.maxRssMb} MB)\n` +
      (report.childMaxRssMb !== null
        ? `  fresh process, compiled code, one validate: maxRSS ${report.childMaxRssMb} MB (node at start ${report.childStartRssMb} MB), cold ${report.childColdMs} ms\n`
        : '  (build dist/ for the fresh-process memory figure)\n') +
      `${JSON.stringify(report)}\n`,
  );
}
if (reports.length > 1) {
  const [a, b] = [reports[0], reports[reports.length - 1]];
  const k = b.runtimes / a.runtimes;
  const r = (x: number, y: number): string => (y > 0 ? (x / y).toFixed(2) : 'n/a');
  process.stdout.write(
    `growth ${a.runtimes} -> ${b.runtimes} runtimes (${k}x): validate median ${r(b.validateMedianMs, a.validateMedianMs)}x, CPU ${r(b.validateCpuMedianMs, a.validateCpuMedianMs)}x, ` +
      `baseline ${r(b.baselineMedianMs, a.baselineMedianMs)}x; fresh-process maxRSS ${a.childMaxRssMb} -> ${b.childMaxRssMb} MB ` +
      `(above node's start: ${r((b.childMaxRssMb ?? 0) - (b.childStartRssMb ?? 0), (a.childMaxRssMb ?? 0) - (a.childStartRssMb ?? 0))}x)\n`,
  );
}
process.stdout.write(`1-min load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} CPUs\n`);
