// Benchmark (issue 16): `catalog sync` of 500 MCP Registry entries generated from the reference
// servers' server.json fixtures, served by the real HTTP test registry on 127.0.0.1 in pages of
// 100. Per round, in fresh processes over dist/: a baseline process that loads the same modules
// and syncs nothing, the first sync (no copy), and a second sync (every page revalidated with its
// ETag, answered 304). Prints medians, peak RSS, requests, and per-round ratios (median and
// range): first sync vs baseline, second sync vs first. Never pass/fail.
// Run: npm run build && node --import tsx bench/sources/catalog-sync.bench.ts (BENCH_ROUNDS=5)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureDocs, startRegistry, type RegistryEntry } from '../../test/support/registry-server.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ENTRIES = 500;
const child = fileURLToPath(new URL('./catalog-sync-child.mjs', import.meta.url));

interface Run {
  ms: number;
  maxRssKb: number;
  reports: Array<{ outcome: string; imported: number; requests: number; notModified: number }>;
}

// Every valid fixture, renamed into 500 distinct entries (the invalid and unrunnable ones left out).
const docs = Object.entries(fixtureDocs()).filter(([k]) => !['invalid-latest', 'nuget-only'].includes(k));
const entries: RegistryEntry[] = Array.from({ length: ENTRIES }, (_, i) => {
  const [key, doc] = docs[i % docs.length];
  return { server: { ...structuredClone(doc), name: `io.github.bench/${key}-${i}` } };
});
const registry = await startRegistry(entries, 100);

function run(config: string, baseline = false): Promise<Run> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [child, config], {
      env: { ...process.env, ...(baseline ? { BASELINE: '1' } : {}) },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) =>
      code === 0 ? res(JSON.parse(out) as Run) : rej(new Error(`child exited ${code}: ${err}`)),
    );
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

process.stdout.write(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
const rows = { base: [] as Run[], first: [] as Run[], second: [] as Run[] };
const reqs = { first: [] as number[], second: [] as number[], notModified: [] as number[] };
const dirs: string[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'cf-bench-catsync-'));
    dirs.push(dir);
    const config = join(dir, 'contextforge.yaml');
    writeFileSync(
      config,
      `name: bench\ncatalog_sources:\n  - name: official\n    url: ${registry.url}\n    format: mcp-registry\n`,
    );
    // Rotate the baseline's place so that a load swing does not hit one target only.
    if (round % 2 === 0) rows.base.push(await run(config, true));
    registry.requests.length = 0;
    const first = await run(config);
    reqs.first.push(registry.requests.length);
    registry.requests.length = 0;
    const second = await run(config);
    reqs.second.push(registry.requests.length);
    reqs.notModified.push(registry.requests.filter((r) => r.status === 304).length);
    if (round % 2 === 1) rows.base.push(await run(config, true));
    if (first.reports[0]?.imported !== ENTRIES || second.reports[0]?.imported !== ENTRIES)
      throw new Error(`expected ${ENTRIES} entries, got ${JSON.stringify([first.reports, second.reports])}`);
    rows.first.push(first);
    rows.second.push(second);
  }
  const ms = (r: Run[]): number => median(r.map((x) => x.ms));
  const rss = (r: Run[]): number => median(r.map((x) => x.maxRssKb / 1024));
  const ratio = (a: Run[], b: Run[], f: (x: Run) => number): number[] => a.map((x, i) => f(x) / f(b[i]));
  const line = (name: string, r: Run[], n: number[]): string =>
    `  ${name.padEnd(34)} ${ms(r).toFixed(0).padStart(6)} ms  peak RSS ${rss(r).toFixed(1).padStart(6)} MB  requests ${median(n)}\n`;
  process.stdout.write(`catalog sync of ${ENTRIES} entries (pages of 100), ${ROUNDS} rounds, medians:\n`);
  process.stdout.write(line('baseline (modules loaded, no sync)', rows.base, [0]));
  process.stdout.write(line('first sync (no copy)', rows.first, reqs.first));
  process.stdout.write(line('second sync (ETag, 304)', rows.second, reqs.second));
  process.stdout.write(`  304 answers in the second sync: ${median(reqs.notModified)} of ${median(reqs.second)}\n`);
  const t1 = ratio(rows.first, rows.base, (x) => x.ms);
  const m1 = ratio(rows.first, rows.base, (x) => x.maxRssKb);
  const t2 = ratio(rows.second, rows.first, (x) => x.ms);
  const m2 = ratio(rows.second, rows.first, (x) => x.maxRssKb);
  process.stdout.write(`ratios (median, range over rounds):\n`);
  process.stdout.write(
    `  first sync / baseline:   time x${median(t1).toFixed(2)} (${range(t1)}), RSS x${median(m1).toFixed(2)} (${range(m1)})\n`,
  );
  process.stdout.write(
    `  second sync / first:     time x${median(t2).toFixed(2)} (${range(t2)}), RSS x${median(m2).toFixed(2)} (${range(m2)}), requests x${(median(reqs.second) / median(reqs.first)).toFixed(2)}\n`,
  );
  process.stdout.write(
    `load average at end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
  );
} finally {
  await registry.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
