// Benchmark: `contextforge apply` of 20 new runtimes from a warm (local) image vs Debian's
// `docker-compose up -d` on an equivalent compose file (same image, command, port published on
// 127.0.0.1, env, memory and pid limits, restart policy, one network), in the same run,
// alternating A B B A. contextforge's apply also waits until every server answers MCP
// `initialize`; compose returns once containers are started, so a second baseline adds that
// same wait after compose. Prints medians and ratios; never pass/fail.
// contextforge runs twice per round: with the default --parallelism 10 and with --parallelism N
// (compose starts every service at once).
// Run: node --import tsx bench/plan/apply-vs-compose.bench.ts   (ROUNDS=2 by default; CONTEXTFORGE_CLI and
// CONTEXTFORGE_CLI_BEFORE name compiled cli/main.js files to compare two builds in the same rounds)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker, removeByLabel, testLabels, uniqueName } from '../../test/support/docker.js';
import { cleanUpAndVerify } from '../support/cleanup.js';
import { EVERYTHING_IMAGE, ensureFixtureImages } from '../../test/support/images.js';
import { waitForMcp } from '../../test/support/mcp.js';
import { median } from './support.js';

const N = Number(process.env.BENCH_RUNTIMES ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cf-bench-apply-'));
const runId = uniqueName('bench-apply');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

function contextforgeCommand(cli = process.env.CONTEXTFORGE_CLI): { cmd: string; pre: string[] } {
  // CONTEXTFORGE_CLI: a compiled cli/main.js to run (e.g. a build of another commit).
  if (cli)
    return {
      cmd: process.execPath,
      pre: [
        '--input-type=module',
        '-e',
        `import { main } from ${JSON.stringify(cli)}; process.exitCode = await main(process.argv.slice(1));`,
      ],
    };
  // The built CLI when dist/ exists (as users run it); else the sources through tsx.
  if (existsSync(join(root, 'dist/cli/main.js')))
    return { cmd: process.execPath, pre: [join(root, 'bin/contextforge.js')] };
  return {
    cmd: process.execPath,
    pre: [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));",
    ],
  };
}

function names(): string[] {
  return Array.from({ length: N }, (_, i) => `r${String(i).padStart(2, '0')}`);
}

function writeContextforge(stack: string): string {
  const file = join(dir, `${stack}.yaml`);
  const lines = [
    `name: ${stack}`,
    'backends:',
    '  local: { type: docker, allow_local_images: true }',
    'profiles:',
    '  open:',
    '    network: { egress_allowed: true, ingress_ports: [3001] }',
    '    resources: { max_memory: 256m, max_pids: 200 }',
    'defaults: { guardrails_profile: open }',
    'catalog:',
    '  - name: Echo',
    '    slug: echo',
    `    source: { type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never }`,
    '    transport: { type: streamable-http, port: 3001, path: /mcp }',
    'runtimes:',
    ...names().map(
      (n) =>
        `  - { name: ${n}, catalog: echo, backend: local, env: { LEVEL: info }, labels: { "dev.contextforge.test": "${runId}" } }`,
    ),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function writeCompose(project: string): string {
  const file = join(dir, `${project}.compose.yaml`);
  const lines = ['version: "2.4"', 'services:'];
  for (const n of names()) {
    lines.push(
      `  ${n}:`,
      `    image: ${EVERYTHING_IMAGE}`,
      '    command: ["streamableHttp"]',
      '    ports: ["127.0.0.1::3001"]',
      '    environment: { LEVEL: info }',
      '    mem_limit: 256m',
      '    pids_limit: 200',
      '    restart: unless-stopped',
      `    labels: { "dev.contextforge.test": "${runId}" }`,
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function composeEndpoints(project: string): Promise<string[]> {
  const list = await docker().listContainers({ filters: { label: [`com.docker.compose.project=${project}`] } });
  return list.map(
    (c) => `http://127.0.0.1:${c.Ports.find((p) => p.PrivatePort === 3001 && p.PublicPort)?.PublicPort}/mcp`,
  );
}

async function timeContextforge(parallelism?: number, cli?: string): Promise<number> {
  const stack = uniqueName('cfba');
  const file = writeContextforge(stack);
  const { cmd, pre } = contextforgeCommand(cli);
  try {
    const t = performance.now();
    const r = await run(cmd, [
      ...pre,
      'apply',
      '--auto-approve',
      '-f',
      file,
      ...(parallelism ? ['--parallelism', String(parallelism)] : []),
    ]);
    const ms = performance.now() - t;
    if (r.code !== 0) throw new Error(`contextforge apply failed:\n${r.out.slice(-2000)}`);
    return ms;
  } finally {
    await removeByLabel({ 'dev.contextforge.stack': stack });
  }
}

async function timeCompose(): Promise<{ up: number; upAndReady: number }> {
  const project = uniqueName('cfbc').replace(/-/g, '');
  const file = writeCompose(project);
  try {
    const t = performance.now();
    const r = await run('docker-compose', ['-p', project, '-f', file, 'up', '-d']);
    const up = performance.now() - t;
    if (r.code !== 0) throw new Error(`docker-compose up failed:\n${r.out.slice(-2000)}`);
    const urls = await composeEndpoints(project);
    await Promise.all(urls.map(async (u) => (await waitForMcp(u, 60_000)).close()));
    return { up, upAndReady: performance.now() - t };
  } finally {
    await run('docker-compose', ['-p', project, '-f', file, 'down', '--remove-orphans', '--timeout', '2']);
    await removeByLabel({ 'com.docker.compose.project': project });
  }
}

await ensureFixtureImages();
const cf: number[] = [];
const cfWide: number[] = [];
// CONTEXTFORGE_CLI_BEFORE: a second compiled cli/main.js timed in the same rounds (before/after).
const before = process.env.CONTEXTFORGE_CLI_BEFORE;
const cfBefore: number[] = [];
const up: number[] = [];
const ready: number[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const kinds = before ? ['compose', 'cf-before', 'cf', 'cf-wide'] : ['compose', 'cf', 'cf-wide'];
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const which of order) {
      if (which === 'cf') cf.push(await timeContextforge());
      else if (which === 'cf-before') cfBefore.push(await timeContextforge(undefined, before));
      else if (which === 'cf-wide') cfWide.push(await timeContextforge(N));
      else {
        const c = await timeCompose();
        up.push(c.up);
        ready.push(c.upAndReady);
      }
      process.stdout.write(`round ${round + 1} ${which}: done\n`);
    }
  }
} finally {
  await cleanUpAndVerify(`run ${runId}`, testLabels(runId));
  rmSync(dir, { recursive: true, force: true });
}
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
process.stdout.write(
  `\nApply of ${N} new runtimes from a warm image (median of ${ROUNDS}, runs: cf ${cf.map(s).join(', ')}; compose up ${up.map(s).join(', ')})\n` +
    `  contextforge apply (incl. MCP initialize health wait): ${s(median(cf))}   (default --parallelism 10)\n` +
    `  contextforge apply --parallelism ${N}:                  ${s(median(cfWide))}   ratio to compose up -d = ${(median(cfWide) / median(up)).toFixed(2)}, to compose+ready = ${(median(cfWide) / median(ready)).toFixed(2)}\n` +
    `  docker-compose up -d:                                 ${s(median(up))}   ratio cf/compose = ${(median(cf) / median(up)).toFixed(2)} (target ≤ 0.8)\n` +
    `  docker-compose up -d + same MCP readiness wait:       ${s(median(ready))}   ratio cf/compose+ready = ${(median(cf) / median(ready)).toFixed(2)}\n` +
    (before
      ? `  contextforge apply, CONTEXTFORGE_CLI_BEFORE build:     ${s(median(cfBefore))}   ratio to compose up -d = ${(median(cfBefore) / median(up)).toFixed(2)}, to compose+ready = ${(median(cfBefore) / median(ready)).toFixed(2)} (runs ${cfBefore.map(s).join(', ')})\n`
      : '') +
    `  all runs: cf-wide ${cfWide.map(s).join(', ')}; compose+ready ${ready.map(s).join(', ')}\n`,
);
