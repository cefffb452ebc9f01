// Benchmark: save-to-applied latency of a one-runtime env change under `contextforge watch`
// (from the write of the file to the watch printing "Apply complete!", which includes the MCP
// initialize health wait) vs the same change made by hand with Debian's `docker-compose up -d`
// (recreates the container), alone and followed by the same MCP readiness wait. compose runs
// twice per edit: as is (it stops the old container with a 10 s grace period) and with `-t 0`
// (killed at once, as contextforge's replace does). Edits rotate the order of the three in the
// same run. Prints p50/p95 and ratios; never pass/fail.
// Run: node --import tsx bench/watch/save-to-applied.bench.ts   (EDITS=20 by default)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, testLabels, uniqueName } from '../../test/support/docker.js';
import { cleanUpAndVerify } from '../support/cleanup.js';
import { EVERYTHING_IMAGE, ensureFixtureImages } from '../../test/support/images.js';
import { waitForMcp } from '../../test/support/mcp.js';
import { stackYaml, startCli } from '../../test/watch/support.js';

const EDITS = Number(process.env.EDITS ?? 20);
const DEBOUNCE_MS = 200;
const dir = mkdtempSync(join(tmpdir(), 'cf-bench-watch-'));
const runId = uniqueName('bench-watch');
const stack = uniqueName('cfbw');
const project = uniqueName('cfbwc').replace(/-/g, '');
const cfFile = join(dir, 'contextforge.yaml');
const composeFile = join(dir, 'compose.yaml');

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

function writeCf(version: number): void {
  writeFileSync(cfFile, stackYaml({ stack, runtimes: [{ name: 'svc', env: { VERSION: String(version) } }] }));
}

function writeCompose(version: number): void {
  writeFileSync(
    composeFile,
    [
      'version: "2.4"',
      'services:',
      '  svc:',
      `    image: ${EVERYTHING_IMAGE}`,
      '    command: ["streamableHttp"]',
      '    ports: ["127.0.0.1::3001"]',
      `    environment: { VERSION: "${version}" }`,
      '    mem_limit: 256m',
      '    pids_limit: 200',
      '    restart: unless-stopped',
      `    labels: { "dev.contextforge.test": "${runId}" }`,
      '',
    ].join('\n'),
  );
}

async function composeUrl(): Promise<string> {
  const list = await docker().listContainers({ filters: { label: [`com.docker.compose.project=${project}`] } });
  const port = list[0]?.Ports.find((p) => p.PrivatePort === 3001 && p.PublicPort)?.PublicPort;
  if (!port) throw new Error('compose service has no published port');
  return `http://127.0.0.1:${port}/mcp`;
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

await ensureFixtureImages();
const watchMs: number[] = [];
const upMs: number[] = [];
const upReadyMs: number[] = [];
const killMs: number[] = [];
const killReadyMs: number[] = [];
let version = 0;
writeCf(0);
writeCompose(0);
const watch = startCli(['watch', '-f', cfFile, '--interval', '1h', '--debounce', `${DEBOUNCE_MS}ms`]);
try {
  await watch.waitFor(/Watching \d+ file\(s\)/, 300_000);
  const first = await run('docker-compose', ['-p', project, '-f', composeFile, 'up', '-d']);
  if (first.code !== 0) throw new Error(`docker-compose up failed:\n${first.out}`);
  await (await waitForMcp(await composeUrl(), 60_000)).close();

  for (let i = 1; i <= EDITS; i++) {
    const orders = [
      ['watch', 'compose', 'compose-t0'],
      ['compose', 'compose-t0', 'watch'],
      ['compose-t0', 'watch', 'compose'],
    ];
    for (const which of orders[i % 3]) {
      if (which === 'watch') {
        const mark = watch.mark();
        const t = performance.now();
        writeCf(i);
        await watch.waitFor(/Apply complete!|Apply failed/, 120_000, mark);
        const ms = performance.now() - t;
        if (/Apply failed/.test(watch.out().slice(mark)))
          throw new Error(`watch apply failed:\n${watch.out().slice(-2000)}`);
        watchMs.push(ms);
      } else {
        version += 1;
        writeCompose(version);
        const t = performance.now();
        const r = await run('docker-compose', [
          '-p',
          project,
          '-f',
          composeFile,
          'up',
          '-d',
          ...(which === 'compose-t0' ? ['-t', '0'] : []),
        ]);
        const up = performance.now() - t;
        if (r.code !== 0) throw new Error(`docker-compose up failed:\n${r.out}`);
        await (await waitForMcp(await composeUrl(), 60_000)).close();
        (which === 'compose' ? upMs : killMs).push(up);
        (which === 'compose' ? upReadyMs : killReadyMs).push(performance.now() - t);
      }
    }
    const f = (v: number[]): string => (v[i - 1] / 1000).toFixed(2);
    process.stdout.write(
      `edit ${i}/${EDITS}: watch ${f(watchMs)} s; compose up ${f(upMs)} s (+ready ${f(upReadyMs)} s); compose up -t 0 ${f(killMs)} s (+ready ${f(killReadyMs)} s)\n`,
    );
  }
} finally {
  watch.proc.kill('SIGINT');
  await watch.done;
  await run('docker-compose', ['-p', project, '-f', composeFile, 'down', '--remove-orphans', '--timeout', '2']);
  await cleanUpAndVerify(`stack ${stack}`, { 'dev.contextforge.stack': stack });
  await cleanUpAndVerify(`run ${runId}`, testLabels(runId));
  rmSync(dir, { recursive: true, force: true });
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const line = (label: string, v: number[]): string =>
  `  ${label.padEnd(52)} p50 ${s(pct(v, 50))}   p95 ${s(pct(v, 95))}`;
const target = DEBOUNCE_MS + pct(killReadyMs, 95);
process.stdout.write(
  `\nSave-to-applied, one-runtime env change, ${EDITS} edits each (same run, alternating):\n` +
    `${line('contextforge watch (save → applied, MCP-ready):', watchMs)}\n` +
    `${line('docker-compose up -d (command only):', upMs)}\n` +
    `${line('docker-compose up -d + MCP readiness wait:', upReadyMs)}\n` +
    `${line('docker-compose up -d -t 0 (command only):', killMs)}\n` +
    `${line('docker-compose up -d -t 0 + MCP readiness wait:', killReadyMs)}\n` +
    `  ratio watch / compose+ready:      p50 ${(pct(watchMs, 50) / pct(upReadyMs, 50)).toFixed(2)}, p95 ${(pct(watchMs, 95) / pct(upReadyMs, 95)).toFixed(2)}\n` +
    `  ratio watch / compose -t 0+ready: p50 ${(pct(watchMs, 50) / pct(killReadyMs, 50)).toFixed(2)}, p95 ${(pct(watchMs, 95) / pct(killReadyMs, 95)).toFixed(2)}\n` +
    `  target p95 ≤ debounce + one create/start + readiness ≈ ${DEBOUNCE_MS} ms + (compose -t 0 + ready) p95 = ${s(target)}: watch p95 ${s(pct(watchMs, 95))} (${pct(watchMs, 95) <= target ? 'met' : 'not met'})\n`,
);
