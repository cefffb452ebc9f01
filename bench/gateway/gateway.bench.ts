// Gateway benchmark (prints figures; never pass/fail). Every comparison runs its targets in
// rounds, the order rotated each round, and reports each target's median figures plus the median
// and range (min-max) of the per-round ratios to the section's baseline. The gateway under test
// runs from dist/ in its own process (gateway-child.mjs, plain node), like users run it. Every
// HTTP target is driven by the same client (the SDK Client on the gateway's undici transport).
//  1. HTTP upstream (server-everything over Streamable HTTP on loopback), tools/call echo at
//     c = 1, 8, 32: direct (baseline), contextforge, and the floor: a minimal node:http + undici
//     Pool reverse proxy forwarding bytes (floor-proxy.mjs); added p50 = target - direct, per round;
//     GATEWAY_DIST_BEFORE=<other build's dist/> adds that build's gateway in the same rounds;
//  2. a burst of 1,000 concurrent calls through the gateway (error count);
//  3. gateway RSS with 0, 20 and 100 upstream sessions;
//  4. a stdio server (server-everything stdio) at c = 1, 8, 32: a direct stdio client (baseline),
//     contextforge spawning the child itself, the `up` path users get (gateway → process-backend
//     supervisor's unix socket → child), mcp-proxy and supergateway (stateful); GATEWAY_DIST_BEFORE=
//     <other build's dist/> adds that build's two paths (spawning the child, and `up` through a
//     supervisor of that build) in the same rounds.
// Peers come from a bench-only folder: `npm install --prefix bench/gateway/peers` (not project
// dependencies); a peer that is not installed is reported and skipped.
// At the end, one table of every target (c=1 p50, c=8 and c=32 throughput, ratios to baseline).
// Run: npm run build && npm run bench -- gateway   (BENCH_ROUNDS=n, default 5; BENCH_SECTIONS=latency|rss|stdio;
// BENCH_CONCURRENCY=1,8 runs only those of c = 1, 8, 32, e.g. for a profile: GATEWAY_NODE_ARGS=--cpu-prof)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Pool } from 'undici';
import { HttpUpstreamTransport } from '../../src/gateway/http-upstream.js';
import type { DesiredResource } from '../../src/model/resources.js';
import { EVERYTHING, freePort, spawnEverything } from '../../test/gateway/support/upstreams.js';
import { commandRuntime } from '../../test/support/process.js';

const TOKEN = 'bench-token';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
if (!existsSync(join(ROOT, 'dist', 'gateway', 'index.js')))
  throw new Error('build first: npm run build (the gateway under test runs from dist/)');
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 5));
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const PEERS = join(ROOT, 'bench', 'gateway', 'peers', 'node_modules');

interface Figures {
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  errors: number;
}
interface Target {
  label: string;
  client: Client;
  tool: string;
  pid?: number;
  /** The process-backend supervisor in between (the up path): its CPU per call is printed too. */
  supervisorPid?: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `total` echo calls with `concurrency` in flight at once on one client session. */
async function load(client: Client, tool: string, concurrency: number, total: number): Promise<Figures> {
  const lat: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      const t0 = performance.now();
      try {
        const r = await client.callTool({ name: tool, arguments: { message: 'bench' } });
        if (r.isError) errors++;
      } catch {
        errors++;
      }
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), rps: total / secs, errors };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; 0 elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const f = (n: number): string => n.toFixed(2).padStart(8);
const range = (xs: number[]): string =>
  `x${median(xs).toFixed(2)} (rounds ${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;

/** Per section, target and concurrency: median p50, calls/s and the ratios to the baseline. */
interface Row {
  section: string;
  label: string;
  c: number;
  p50: number;
  rps: number;
  p50Ratio: number;
  rpsRatio: number;
  added: number;
  cpuMs: number | undefined;
}
const summary: Row[] = [];

/**
 * Runs every target `ROUNDS` times at concurrency c, rotating the order each round, and prints
 * median figures per target and, against `targets[0]` and each pair in `also`, the median and
 * range of the per-round ratios of p50 and of throughput. For each pair in `addedVs` [a, b] it
 * prints the per-round ratio of the latency each adds over the baseline: (a - base) / (b - base).
 */
async function compare(
  title: string,
  targets: Target[],
  c: number,
  also: [number, number][] = [],
  addedVs: [number, number][] = [],
): Promise<void> {
  const total = Math.max(400, c * 50);
  const runs = targets.map(() => [] as Figures[]);
  const cpu = targets.map(() => 0);
  const supCpu = targets.map(() => 0);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (k + r) % targets.length;
      const t = targets[i];
      const before = t.pid ? cpuSeconds(t.pid) : 0;
      const supBefore = t.supervisorPid ? cpuSeconds(t.supervisorPid) : 0;
      runs[i].push(await load(t.client, t.tool, c, total));
      if (t.pid) cpu[i] += cpuSeconds(t.pid) - before;
      if (t.supervisorPid) supCpu[i] += cpuSeconds(t.supervisorPid) - supBefore;
    }
  }
  console.log(`  ${title} c=${c} (${total} calls x ${ROUNDS} rounds)`);
  targets.forEach((t, i) => {
    const m = (k: keyof Figures): number => median(runs[i].map((x) => x[k]));
    const cpuMs = t.pid ? (cpu[i] * 1000) / (ROUNDS * total) : undefined;
    const supNote = t.supervisorPid ? `, supervisor ${((supCpu[i] * 1000) / (ROUNDS * total)).toFixed(3)} ms/call` : '';
    const cpuNote = cpuMs !== undefined ? `  process CPU ${cpuMs.toFixed(3)} ms/call${supNote}` : '';
    const added = median(runs[i].map((x, r) => x.p50 - runs[0][r].p50));
    const addedNote = i === 0 ? '' : `  added p50 ${added.toFixed(3)} ms`;
    console.log(
      `    ${t.label.padEnd(30)} p50 ${f(m('p50'))} ms  p95 ${f(m('p95'))} ms  p99 ${f(m('p99'))} ms  ${m('rps').toFixed(0).padStart(6)} calls/s  errors ${runs[i].reduce((n, x) => n + x.errors, 0)}${addedNote}${cpuNote}`,
    );
    summary.push({
      section: title,
      label: t.label,
      c,
      p50: m('p50'),
      rps: m('rps'),
      p50Ratio: median(runs[i].map((x, r) => x.p50 / runs[0][r].p50)),
      rpsRatio: median(runs[i].map((x, r) => x.rps / runs[0][r].rps)),
      added,
      cpuMs,
    });
  });
  const pairs: [number, number][] = [...targets.slice(1).map((_, i): [number, number] => [i + 1, 0]), ...also];
  for (const [a, b] of pairs) {
    const p50 = runs[a].map((x, r) => x.p50 / runs[b][r].p50);
    const tput = runs[a].map((x, r) => x.rps / runs[b][r].rps);
    console.log(
      `    ${`${targets[a].label} / ${targets[b].label}`.padEnd(52)} p50 ${range(p50)}  throughput ${range(tput)}`,
    );
  }
  for (const [a, b] of addedVs) {
    const ratio = runs[a].map((x, r) => (x.p50 - runs[0][r].p50) / (runs[b][r].p50 - runs[0][r].p50));
    console.log(
      `    ${`added p50: ${targets[a].label} / ${targets[b].label}`.padEnd(52)} ${range(ratio)}  (each minus ${targets[0].label}, per round)`,
    );
  }
}

/** The whole table in one place: every target of every section, c=1 p50 and c=8/c=32 throughput. */
function printSummary(): void {
  if (!summary.length) return;
  console.log('\nSummary (medians; ratios are medians of per-round ratios to the section baseline, the first row)');
  const sections = [...new Set(summary.map((r) => r.section))];
  for (const section of sections) {
    console.log(`  ${section}`);
    const labels = [...new Set(summary.filter((r) => r.section === section).map((r) => r.label))];
    console.log(
      `    ${'target'.padEnd(30)} ${'c=1 p50'.padStart(9)} ${'x base'.padStart(7)} ${'added'.padStart(8)}  ${'c=8 /s'.padStart(7)} ${'x base'.padStart(6)}  ${'c=32 /s'.padStart(7)} ${'x base'.padStart(6)}  ${'CPU ms/call c=8'.padStart(15)}`,
    );
    for (const label of labels) {
      const at = (c: number): Row | undefined =>
        summary.find((r) => r.section === section && r.label === label && r.c === c);
      const [r1, r8, r32] = [at(1), at(8), at(32)];
      const n = (x: number | undefined, d: number, w: number): string =>
        (x === undefined ? '-' : x.toFixed(d)).padStart(w);
      console.log(
        `    ${label.padEnd(30)} ${n(r1?.p50, 3, 7)} ms ${n(r1?.p50Ratio, 2, 7)} ${n(r1?.added, 3, 5)} ms  ${n(r8?.rps, 0, 7)} ${n(r8?.rpsRatio, 2, 6)}  ${n(r32?.rps, 0, 7)} ${n(r32?.rpsRatio, 2, 6)}  ${n(r8?.cpuMs, 3, 15)}`,
      );
    }
  }
}

/** Starts gateway-child.mjs from `dist` with `upstreams`; resolves with its base URL and a stop function. */
async function startGatewayChild(
  upstreams: unknown[],
  dist?: string,
): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./gateway-child.mjs', import.meta.url));
  // GATEWAY_NODE_ARGS (space-separated) goes to the gateway's node, e.g. --cpu-prof.
  const nodeArgs = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const env = { ...process.env, UPSTREAMS: JSON.stringify(upstreams), TOKEN, GATEWAY_DIST: dist ?? '' };
  const p = spawn(process.execPath, [...nodeArgs, script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let s = '';
    p.stdout!.on('data', (d: Buffer) => {
      s += d.toString();
      if (s.includes('\n')) resolve(s.trim());
    });
    p.once('exit', (code) => reject(new Error(`gateway child exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    pid: p.pid!,
    stop: () =>
      new Promise<void>((r) => {
        p.once('exit', () => {
          const lines = stderr.split('\n').filter((l) => l.trim());
          if (lines.length)
            console.log(`  (gateway process stderr: ${lines.length} lines, first: ${lines[0].slice(0, 160)})`);
          r();
        });
        p.stdin!.end();
      }),
  };
}

const pools: Pool[] = [];
/**
 * The load generator's client for every HTTP target: the SDK Client on the gateway's own undici
 * transport (light enough that the client does not dominate the 2 cores), one pool per target.
 */
async function httpClient(url: string, token?: string): Promise<Client> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { bodyTimeout: 0 });
  pools.push(pool);
  const client = new Client({ name: 'bench', version: '1' }, { capabilities: {} });
  const headers = token ? { authorization: `Bearer ${token}` } : undefined;
  await client.connect(new HttpUpstreamTransport({ url: u, pool, headers }));
  return client;
}
const gatewayClient = (url: string): Promise<Client> => httpClient(`${url}/mcp`, TOKEN);

/**
 * Starts floor-proxy.mjs in front of `target` (an HTTP upstream's URL) or, with `command`,
 * floor-stdio.mjs in front of that stdio child; resolves with its base URL, pid and a stop function.
 */
async function startFloor(
  target: string | { command: string[] },
): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const stdio = typeof target !== 'string';
  const script = fileURLToPath(new URL(stdio ? './floor-stdio.mjs' : './floor-proxy.mjs', import.meta.url));
  const p = spawn(process.execPath, [script], {
    env: { ...process.env, ...(stdio ? { COMMAND: JSON.stringify(target.command) } : { TARGET: target }) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    p.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    p.once('exit', (code) => reject(new Error(`floor proxy exited with ${code}`)));
  });
  return { url, pid: p.pid!, stop: () => new Promise<void>((r) => (p.once('exit', () => r()), p.stdin!.end())) };
}
const loadAverage = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function latencySection(): Promise<void> {
  const ev = await spawnEverything('streamableHttp');
  const gw = await startGatewayChild([{ name: 'ev', transport: 'streamable-http', url: ev.url }]);
  const floor = await startFloor(ev.url);
  const path = new URL(ev.url).pathname;
  const direct = await httpClient(ev.url);
  const via = await gatewayClient(gw.url);
  const viaFloor = await httpClient(`${floor.url}${path}`);
  const beforeDist = process.env.GATEWAY_DIST_BEFORE;
  const gwBefore = beforeDist
    ? await startGatewayChild([{ name: 'ev', transport: 'streamable-http', url: ev.url }], beforeDist)
    : undefined;
  const viaBefore = gwBefore ? await gatewayClient(gwBefore.url) : undefined;
  try {
    console.log('\n1. tools/call echo, everything server over Streamable HTTP on loopback');
    console.log(`  load average before: ${loadAverage()} (${cpus().length} cores)`);
    const targets: Target[] = [
      { label: 'direct', client: direct, tool: 'echo' },
      { label: 'contextforge', client: via, tool: 'ev__echo', pid: gw.pid },
      { label: 'floor (node:http + undici Pool)', client: viaFloor, tool: 'echo', pid: floor.pid },
    ];
    const also: [number, number][] = [[1, 2]];
    if (viaBefore && gwBefore) {
      targets.push({
        label: 'contextforge, GATEWAY_DIST_BEFORE',
        client: viaBefore,
        tool: 'ev__echo',
        pid: gwBefore.pid,
      });
      also.push([1, 3]);
    }
    for (const t of targets) await load(t.client, t.tool, 8, 200);
    for (const c of LEVELS) await compare('HTTP upstream', targets, c, also, [[1, 2]]);
    console.log(`  load average after: ${loadAverage()}`);
    console.log('\n2. burst of 1,000 concurrent calls through the gateway (maxConcurrency 64 per upstream)');
    const t0 = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) => via.callTool({ name: 'ev__echo', arguments: { message: `b${i}` } })),
    );
    const errs = results.filter((r) => r.status === 'rejected' || (r.value as { isError?: boolean }).isError).length;
    console.log(`  1000 calls in ${(performance.now() - t0).toFixed(0)} ms, errors ${errs}`);
    const t1 = performance.now();
    const dres = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) => direct.callTool({ name: 'echo', arguments: { message: `b${i}` } })),
    );
    const derrs = dres.filter((r) => r.status === 'rejected' || (r.value as { isError?: boolean }).isError).length;
    console.log(`  same burst direct: ${(performance.now() - t1).toFixed(0)} ms, errors ${derrs}`);
  } finally {
    for (const c of [direct, via, viaFloor, viaBefore]) await c?.close().catch(() => undefined);
    await gw.stop();
    await gwBefore?.stop();
    await floor.stop();
    await ev.kill();
  }
}

async function rssSection(): Promise<void> {
  console.log('\n3. gateway RSS (separate process from dist/, after upstreams connected and a tools/list)');
  const ev = await spawnEverything('streamableHttp');
  try {
    const child = fileURLToPath(new URL('./rss-child.mjs', import.meta.url));
    for (const n of [0, 20, 100]) {
      const out = await new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ['--expose-gc', child], {
          env: { ...process.env, UPSTREAMS: String(n), UPSTREAM_URL: ev.url },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let s = '';
        p.stdout.on('data', (d: Buffer) => void (s += d.toString()));
        p.on('error', reject);
        p.on('close', () => resolve(s.trim()));
      });
      console.log(`  ${String(n).padStart(3)} upstreams: ${out}`);
    }
    console.log(
      "  (the upstream sessions all point at one everything server, so this is the gateway's own cost per upstream)",
    );
  } finally {
    await ev.kill();
  }
}

/** A peer's CLI from bench/gateway/peers (or PEER_BIN env, e.g. SUPERGATEWAY_BIN), if installed. */
function peerBin(env: string, rel: string): string | undefined {
  const candidates = [process.env[env], join(PEERS, rel)];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url, { method: 'GET' }).then((r) => r.body?.cancel());
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not come up`);
}

/**
 * A process-backend runtime of the everything stdio server, supervised from `dist` (this build's
 * dist/ unless another is named) as `up` does: the supervisor is that build's own.
 */
async function supervised(
  dir: string,
  dist = join(ROOT, 'dist'),
): Promise<{ socketPath: string; direct: boolean; supervisorPid: number | undefined; remove: () => Promise<void> }> {
  type ProcessIndex = typeof import('../../src/backends/process/index.js');
  const { createProcessBackend, processDir, readStatus, runtimeFiles } = (await import(
    join(dist, 'backends/process/index.js')
  )) as ProcessIndex;
  const backend = createProcessBackend('local', { type: 'process' }, { configDir: dir, stack: 'bench' });
  const desired: DesiredResource = commandRuntime('ev', {
    catalog: 'everything',
    command: process.execPath,
    args: [EVERYTHING, 'stdio'],
    specHash: 'bench',
  });
  const ctx = { stack: 'bench', signal: new AbortController().signal, progress: () => undefined };
  const created = await backend.apply(backend.plan(desired, undefined), ctx);
  const attach = created.observed?.endpoint?.attach;
  if (!attach || attach.kind !== 'process')
    throw new Error(`the supervised runtime did not start: ${JSON.stringify(created.diags)}`);
  return {
    socketPath: attach.socketPath,
    direct: attach.direct === true,
    supervisorPid: readStatus(runtimeFiles(processDir(dir, 'bench'), 'ev').status)?.supervisorPid,
    remove: async () => {
      for (const o of (await backend.observe('bench')).value ?? [])
        await backend.apply(backend.plan(undefined, o), ctx);
    },
  };
}

async function stdioSection(): Promise<void> {
  console.log(
    '\n4. a stdio server (everything stdio) behind Streamable HTTP: direct stdio client, contextforge spawning the child, the `up` path (supervisor socket), mcp-proxy, supergateway',
  );
  console.log(`  load average before: ${loadAverage()} (${cpus().length} cores)`);
  const dir = mkdtempSync(join(tmpdir(), 'cf-bench-gw-'));
  const stopAll: (() => Promise<void>)[] = [];
  try {
    const sup = await supervised(dir);
    stopAll.push(sup.remove);
    const direct = new Client({ name: 'bench', version: '1' }, { capabilities: {} });
    await direct.connect(
      new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }),
    );
    stopAll.push(() => direct.close());
    const targets: Target[] = [{ label: 'direct stdio client', client: direct, tool: 'echo' }];
    const add = async (
      label: string,
      upstream: Record<string, unknown>,
      dist?: string,
      supervisorPid?: number,
    ): Promise<void> => {
      const gw = await startGatewayChild([{ name: 'ev', transport: 'stdio', ...upstream }], dist);
      stopAll.push(gw.stop);
      const client = await gatewayClient(gw.url);
      stopAll.push(() => client.close());
      targets.push({ label, client, tool: 'ev__echo', pid: gw.pid, supervisorPid });
    };
    await add('contextforge (spawns the child)', { command: process.execPath, args: [EVERYTHING, 'stdio'] });
    await add(
      'up path (supervisor socket)',
      { socket: sup.socketPath, direct: sup.direct },
      undefined,
      sup.supervisorPid,
    );
    // Another build runs both of its paths, its up path through its own supervisor (in a
    // directory of its own), so that its hop ratio compares like with like.
    const before = process.env.GATEWAY_DIST_BEFORE?.replace(/\/$/, '');
    if (before) {
      const beforeDir = join(dir, 'before');
      mkdirSync(beforeDir);
      const supBefore = await supervised(beforeDir, before);
      stopAll.push(supBefore.remove);
      await add('before: spawns the child', { command: process.execPath, args: [EVERYTHING, 'stdio'] }, before);
      await add(
        'before: up path',
        { socket: supBefore.socketPath, direct: supBefore.direct },
        before,
        supBefore.supervisorPid,
      );
    }
    const serverCmd = [process.execPath, EVERYTHING, 'stdio'];
    const peer = async (label: string, bin: string | undefined, args: (port: number) => string[]): Promise<void> => {
      if (!bin) {
        console.log(`  ${label} is not installed (npm install --prefix bench/gateway/peers): its rows are skipped.`);
        return;
      }
      const port = await freePort();
      const p: ChildProcess = spawn(process.execPath, [bin, ...args(port)], { stdio: 'ignore' });
      stopAll.push(async () => void p.kill('SIGTERM'));
      await waitHttp(`http://127.0.0.1:${port}/mcp`);
      const theirs = await httpClient(`http://127.0.0.1:${port}/mcp`);
      stopAll.push(() => theirs.close());
      targets.push({ label, client: theirs, tool: 'echo', pid: p.pid });
    };
    await peer('mcp-proxy (stream)', peerBin('MCP_PROXY_BIN', 'mcp-proxy/dist/bin/mcp-proxy.mjs'), (port) => [
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--server',
      'stream',
      '--',
      ...serverCmd,
    ]);
    await peer('supergateway --stateful', peerBin('SUPERGATEWAY_BIN', 'supergateway/dist/index.js'), (port) => [
      '--stdio',
      serverCmd.join(' '),
      '--outputTransport',
      'streamableHttp',
      '--stateful',
      '--port',
      String(port),
      '--logLevel',
      'none',
    ]);
    // The floor: the least a Node HTTP front for this stdio server adds (floor-stdio.mjs).
    const floor = await startFloor({ command: serverCmd });
    stopAll.push(floor.stop);
    const viaFloor = await httpClient(`${floor.url}/mcp`);
    stopAll.push(() => viaFloor.close());
    targets.push({ label: 'floor (node:http + child stdio)', client: viaFloor, tool: 'echo', pid: floor.pid });
    const floorAt = targets.length - 1;
    // `up` starts supervisors detached (a session of their own), so the child it serves runs in
    // another scheduling group than the gateway where the kernel groups by session (autogroup).
    // The same spawned child put in a session of its own (setsid) compares the hop alone.
    const SETSID = '/usr/bin/setsid';
    const ownSessionAt = existsSync(SETSID) ? targets.length : undefined;
    if (ownSessionAt !== undefined)
      await add('contextforge (spawns the child, setsid)', { command: SETSID, args: serverCmd });
    for (const t of targets) await load(t.client, t.tool, 8, 200);
    // The up path against the gateway spawning the child itself: the hop's own cost.
    // With a before build: its up path against its own spawn path, and each of its paths against now's.
    const also: [number, number][] = [
      [2, 1],
      ...(before
        ? [
            [4, 3],
            [3, 1],
            [4, 2],
          ]
        : []),
    ] as [number, number][];
    // contextforge against each peer (the target: at least 2x their throughput).
    for (const l of ['mcp-proxy', 'supergateway']) {
      const i = targets.findIndex((t) => t.label.startsWith(l));
      if (i > 0) also.push([1, i]);
    }
    also.push([1, floorAt]);
    if (ownSessionAt !== undefined) also.push([2, ownSessionAt]);
    // What contextforge adds over the direct client against what the floor adds.
    for (const c of LEVELS) await compare('stdio upstream', targets, c, also, [[1, floorAt]]);
    console.log(`  load average after: ${loadAverage()}`);
  } finally {
    for (const s of stopAll.reverse()) await s().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`gateway bench: node ${process.version}, ${new Date().toISOString()}, ${ROUNDS} rounds per comparison`);
const sections = process.env.BENCH_SECTIONS;
console.log(`load average at start: ${loadAverage()} (${cpus().length} cores)`);
if (!sections || sections === 'latency') await latencySection();
if (!sections || sections === 'rss') await rssSection();
if (!sections || sections === 'stdio') await stdioSection();
printSummary();
console.log(`load average at end: ${loadAverage()}`);
await Promise.all(pools.map((p) => p.destroy()));
