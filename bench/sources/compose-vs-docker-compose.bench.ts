// Benchmark: a 5-service compose stack (an MCP server plus four busybox HTTP services, one
// depending on two of them) brought up by `contextforge apply --auto-approve` (the built CLI,
// compose source naming the same file) vs Debian's `docker-compose up -d` on that very file, in
// the same run, alternating A B B A. contextforge also waits until the main service answers MCP
// `initialize`; a second baseline adds that same wait after docker-compose. Each side tears down
// between rounds (destroy / down). Prints medians and ratios; never pass/fail.
// Run: npm run build && node --import tsx bench/sources/compose-vs-docker-compose.bench.ts
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { removeByLabel } from '../../test/support/docker.js';
import { BUSYBOX_IMAGE, EVERYTHING_IMAGE, ensureFixtureImages } from '../../test/support/images.js';
import { waitForMcp } from '../../test/support/mcp.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cf-bench-compose-'));
const id = randomBytes(3).toString('hex');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const COMPOSE = [
  'services:',
  '  mcp:',
  `    image: ${EVERYTHING_IMAGE}`,
  '    command: [streamableHttp]',
  '    ports: ["127.0.0.1::3001"]',
  '    depends_on: [s1, s2]',
  ...['s1', 's2', 's3', 's4'].flatMap((n) => [
    `  ${n}:`,
    `    image: ${BUSYBOX_IMAGE}`,
    '    command: ["httpd", "-f", "-p", "8080"]',
  ]),
  '',
].join('\n');

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('build the CLI first: npm run build');
  await ensureFixtureImages();
  writeFileSync(join(dir, 'stack.compose.yaml'), COMPOSE);
  const stack = `bench-compose-${id}`;
  writeFileSync(
    join(dir, 'contextforge.yaml'),
    [
      `name: ${stack}`,
      'backends:',
      '  local: { type: docker, allow_local_images: true }',
      'catalog:',
      '  - { name: Five, slug: five, source: { type: compose, compose_file: stack.compose.yaml, main_service: mcp }, transport: { type: streamable-http, port: 3001, path: /mcp } }',
      'runtimes:',
      '  - { name: five, catalog: five, backend: local, guardrails_profile: unrestricted }',
      '',
    ].join('\n'),
  );
  const cli = [join(root, 'bin/contextforge.js')];
  const project = `cfbench${id}`;
  const cf: number[] = [];
  const up: number[] = [];
  const ready: number[] = [];
  const contextforge = async (): Promise<void> => {
    const t0 = Date.now();
    const r = await run(process.execPath, [...cli, 'apply', '--auto-approve', '-f', 'contextforge.yaml']);
    if (r.code !== 0) throw new Error(`contextforge apply failed:\n${r.out.slice(-2000)}`);
    cf.push(Date.now() - t0);
    const d = await run(process.execPath, [...cli, 'destroy', '--auto-approve', '-f', 'contextforge.yaml']);
    if (d.code !== 0) throw new Error(`contextforge destroy failed:\n${d.out.slice(-2000)}`);
  };
  const compose = async (): Promise<void> => {
    const t0 = Date.now();
    const r = await run('docker-compose', ['-p', project, '-f', 'stack.compose.yaml', 'up', '-d']);
    if (r.code !== 0) throw new Error(`docker-compose up failed:\n${r.out.slice(-2000)}`);
    up.push(Date.now() - t0);
    const port = (await run('docker-compose', ['-p', project, '-f', 'stack.compose.yaml', 'port', 'mcp', '3001'])).out
      .trim()
      .split(':')
      .pop();
    const client = await waitForMcp(`http://127.0.0.1:${port}/mcp`, 30_000);
    ready.push(Date.now() - t0);
    await client.close();
    await run('docker-compose', ['-p', project, '-f', 'stack.compose.yaml', 'down', '--timeout', '2']);
  };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? [contextforge, compose] : [compose, contextforge];
      for (const f of order) await f();
      process.stderr.write(
        `round ${i + 1}: contextforge ${s(cf[i])}, docker-compose ${s(up[i])} (+ready ${s(ready[i])})\n`,
      );
    }
    process.stdout.write(
      `5-service compose stack, same file (${ROUNDS} rounds, medians)\n` +
        `  contextforge apply (CLI, incl. plan + MCP health): ${s(median(cf))}\n` +
        `  docker-compose up -d:                             ${s(median(up))}   ratio cf/compose = ${(median(cf) / median(up)).toFixed(2)} (target ≤ 1.0)\n` +
        `  docker-compose up -d + same MCP readiness wait:   ${s(median(ready))}   ratio cf/compose+ready = ${(median(cf) / median(ready)).toFixed(2)}\n`,
    );
  } finally {
    await run(process.execPath, [...cli, 'destroy', '--auto-approve', '-f', 'contextforge.yaml']);
    await run('docker-compose', ['-p', project, '-f', 'stack.compose.yaml', 'down', '--timeout', '2']);
    await removeByLabel({ 'dev.contextforge.stack': stack }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
