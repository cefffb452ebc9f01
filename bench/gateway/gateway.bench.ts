// Gateway benchmark (prints figures; never pass/fail). Same-run baselines:
//  1. tools/call latency p50/p95/p99 and throughput at concurrency 1, 8, 32, through the gateway
//     vs directly to the same upstream (server-everything, Streamable HTTP, loopback);
//  2. a burst of 1,000 concurrent calls through the gateway (error count);
//  3. gateway RSS with 0 and with 20 upstream sessions (child process);
// The gateway runs in its own child process (gateway-child.ts), like supergateway does.
//  4. stdio bridging: our gateway over a stdio upstream vs supergateway (when installed: set
//     SUPERGATEWAY_BIN or install it so node_modules/supergateway exists) vs a direct stdio client.
// Run: node --import tsx bench/gateway/gateway.bench.ts
//   (BENCH_ROUNDS=n repeats section 1 with direct and gateway alternating; BENCH_SECTIONS=latency)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { scopedSignalFetch } from '../../src/gateway/scoped-fetch.js';
import { EVERYTHING, connectClient, freePort, spawnEverything } from '../../test/gateway/support/upstreams.js';

const TOKEN = 'bench-token';

interface Figures { p50: number; p95: number; p99: number; rps: number; errors: number }

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

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

const f = (n: number): string => n.toFixed(2).padStart(8);
function row(label: string, x: Figures): void {
  console.log(`  ${label.padEnd(34)} p50 ${f(x.p50)} ms  p95 ${f(x.p95)} ms  p99 ${f(x.p99)} ms  ${x.rps.toFixed(0).padStart(6)} calls/s  errors ${x.errors}`);
}
function ratio(label: string, a: Figures, b: Figures): void {
  console.log(`  ${label.padEnd(34)} p50 x${(a.p50 / b.p50).toFixed(2)}  p99 x${(a.p99 / b.p99).toFixed(2)}  throughput x${(a.rps / b.rps).toFixed(2)}`);
}

/** Starts gateway-child.ts with `upstreams`; resolves with its base URL and a stop function. */
async function startGatewayChild(upstreams: unknown[]): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./gateway-child.ts', import.meta.url));
  // GATEWAY_NODE_ARGS (space-separated) goes to the gateway's node, e.g. --cpu-prof.
  const nodeArgs = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const p = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], { env: { ...process.env, UPSTREAMS: JSON.stringify(upstreams), TOKEN }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let s = '';
    p.stdout!.on('data', (d: Buffer) => {
      s += d.toString();
      if (s.includes('\n')) resolve(s.trim());
    });
    p.once('exit', (code) => reject(new Error(`gateway child exited with ${code}`)));
  });
  return {
    url,
    pid: p.pid!,
    stop: () => new Promise<void>((r) => {
      p.once('exit', () => {
        const lines = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('(Use `node --trace-warnings'));
        console.log(`  (gateway process stderr: ${lines.length} lines${lines.length ? `, first: ${lines[0].slice(0, 120)}` : ''})`);
        r();
      });
      p.stdin!.end();
    }),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median of each figure over rounds (each figure on its own, so not one round's row). */
function medianFigures(xs: Figures[]): Figures {
  return {
    p50: median(xs.map((x) => x.p50)), p95: median(xs.map((x) => x.p95)), p99: median(xs.map((x) => x.p99)),
    rps: median(xs.map((x) => x.rps)), errors: xs.reduce((n, x) => n + x.errors, 0),
  };
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

function loadAverage(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

async function latencySection(rounds: number): Promise<void> {
  const ev = await spawnEverything('streamableHttp');
  const gw = await startGatewayChild([{ name: 'ev', transport: 'streamable-http', url: ev.url }]);
  const base = gw.url;
  // The same client code on both paths (the SDK's Streamable HTTP client with the gateway's
  // scoped fetch, so a long run does not pile listeners on its session signal); the gateway
  // path only adds its bearer token.
  const direct = await connectClient(ev.url, undefined, scopedSignalFetch());
  const via = await connectClient(`${base}/mcp`, TOKEN, scopedSignalFetch());
  try {
    console.log(`\n1. tools/call echo, everything server over Streamable HTTP on loopback (${rounds} rounds, direct and gateway alternating; medians per figure)`);
    console.log(`  load average before: ${loadAverage()} (${cpus().length} cores)`);
    await load(direct, 'echo', 8, 200);
    await load(via, 'ev__echo', 8, 200);
    for (const c of [1, 8, 32]) {
      const total = Math.max(400, c * 50);
      const ds: Figures[] = [];
      const gs: Figures[] = [];
      let gwCpu = 0;
      const viaRun = async (): Promise<void> => {
        const before = cpuSeconds(gw.pid);
        gs.push(await load(via, 'ev__echo', c, total));
        gwCpu += cpuSeconds(gw.pid) - before;
      };
      for (let r = 0; r < rounds; r++) {
        // Alternate which path goes first so a load swing does not always hit the same one.
        if (r % 2 === 0) {
          ds.push(await load(direct, 'echo', c, total));
          await viaRun();
        } else {
          await viaRun();
          ds.push(await load(direct, 'echo', c, total));
        }
      }
      const d = medianFigures(ds);
      const g = medianFigures(gs);
      row(`direct      c=${c} (${total} calls)`, d);
      row(`via gateway c=${c} (${total} calls)`, g);
      ratio(`gateway/direct c=${c}`, g, d);
      const added = (k: 'p50' | 'p95' | 'p99'): string => median(gs.map((x, i) => x[k] - ds[i][k])).toFixed(2);
      const tput = gs.map((x, i) => x.rps / ds[i].rps);
      console.log(`  ${`added by gateway c=${c}`.padEnd(34)} p50 +${added('p50')} ms  p95 +${added('p95')} ms  p99 +${added('p99')} ms  throughput x${median(tput).toFixed(2)} (rounds ${Math.min(...tput).toFixed(2)}-${Math.max(...tput).toFixed(2)})`);
      // CPU per call hardly depends on how busy the machine is, unlike wall-clock latency.
      console.log(`  ${`gateway process CPU c=${c}`.padEnd(34)} ${((gwCpu * 1000) / (rounds * total)).toFixed(3)} ms per call (user+system, /proc, 10 ms ticks)`);
    }
    console.log(`  load average after: ${loadAverage()}`);
    if (process.env.BENCH_SECTIONS === 'latency') return;
    console.log('\n2. burst of 1,000 concurrent calls through the gateway (maxConcurrency 64 per upstream)');
    const t0 = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => via.callTool({ name: 'ev__echo', arguments: { message: `b${i}` } })));
    const errs = results.filter((r) => r.status === 'rejected' || (r.value as { isError?: boolean }).isError).length;
    console.log(`  1000 calls in ${(performance.now() - t0).toFixed(0)} ms, errors ${errs}`);
    const t1 = performance.now();
    const dres = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => direct.callTool({ name: 'echo', arguments: { message: `b${i}` } })));
    const derrs = dres.filter((r) => r.status === 'rejected' || (r.value as { isError?: boolean }).isError).length;
    console.log(`  same burst direct: ${(performance.now() - t1).toFixed(0)} ms, errors ${derrs}`);
  } finally {
    await direct.close();
    await via.close();
    await gw.stop();
    await ev.kill();
  }
}

async function rssSection(): Promise<void> {
  console.log('\n3. gateway RSS (separate process, after upstreams connected and a tools/list)');
  const ev = await spawnEverything('streamableHttp');
  try {
    const child = fileURLToPath(new URL('./rss-child.ts', import.meta.url));
    for (const n of [0, 20]) {
      const out = await new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', child], { env: { ...process.env, UPSTREAMS: String(n), UPSTREAM_URL: ev.url }, stdio: ['ignore', 'pipe', 'inherit'] });
        let s = '';
        p.stdout.on('data', (d: Buffer) => void (s += d.toString()));
        p.on('error', reject);
        p.on('close', () => resolve(s.trim()));
      });
      console.log(`  ${String(n).padStart(2)} upstreams: ${out}`);
    }
    console.log('  (the 20 sessions all point at one everything server, so this is the gateway\'s own cost per upstream)');
  } finally {
    await ev.kill();
  }
}

function supergatewayBin(): string | undefined {
  const candidates = [process.env.SUPERGATEWAY_BIN, fileURLToPath(new URL('../../node_modules/supergateway/dist/index.js', import.meta.url))];
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

async function stdioSection(): Promise<void> {
  console.log('\n4. bridging a stdio server (everything stdio) to Streamable HTTP');
  const stdioDirect = new Client({ name: 'bench', version: '1' }, { capabilities: {} });
  await stdioDirect.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
  const gw = await startGatewayChild([{ name: 'ev', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }]);
  const base = gw.url;
  const ours = await connectClient(`${base}/mcp`, TOKEN);
  const bin = supergatewayBin();
  let sg: ChildProcess | undefined;
  let theirs: Client | undefined;
  if (bin) {
    const port = await freePort();
    sg = spawn(process.execPath, [bin, '--stdio', `${process.execPath} ${EVERYTHING} stdio`, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port), '--logLevel', 'none'], { stdio: 'ignore' });
    await waitHttp(`http://127.0.0.1:${port}/mcp`);
    theirs = await connectClient(`http://127.0.0.1:${port}/mcp`);
  } else {
    console.log('  supergateway not installed (set SUPERGATEWAY_BIN or `npm i supergateway`): its rows are skipped.');
  }
  try {
    await load(stdioDirect, 'echo', 8, 200);
    await load(ours, 'ev__echo', 8, 200);
    if (theirs) await load(theirs, 'echo', 8, 200);
    for (const c of [1, 8, 32]) {
      const total = Math.max(400, c * 50);
      const d = await load(stdioDirect, 'echo', c, total);
      const o = await load(ours, 'ev__echo', c, total);
      row(`direct stdio client c=${c}`, d);
      row(`contextforge gateway c=${c}`, o);
      if (theirs) {
        const t = await load(theirs, 'echo', c, total);
        row(`supergateway --stateful c=${c}`, t);
        ratio(`contextforge/supergateway c=${c}`, o, t);
      }
      ratio(`contextforge/direct-stdio c=${c}`, o, d);
    }
  } finally {
    await stdioDirect.close();
    await ours.close();
    await theirs?.close().catch(() => undefined);
    sg?.kill('SIGTERM');
    await gw.stop();
  }
}

console.log(`gateway bench: node ${process.version}, ${new Date().toISOString()}`);
// BENCH_ROUNDS (default 3) repeats section 1; BENCH_SECTIONS=latency runs section 1 only.
await latencySection(Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)));
if (process.env.BENCH_SECTIONS !== 'latency') {
  await rssSection();
  await stdioSection();
}
