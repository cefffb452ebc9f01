// The operator console's costs (prints figures; never pass/fail), each against a baseline of
// the same run, as ratios (see bench/README.md):
// 1. GET /api/v1/runtimes with 100 runtimes (compile + observe + join over a real config and a
//    real SQLite state) against GET /healthz on the same listener (the HTTP floor), p50/p95;
// 2. first contentful paint of /ui (the sign-in page) and the time until the runtimes table is
//    drawn, in headless Chromium, against a one-line page served by the same process;
// 3. tools/call latency through the gateway with the console off, on, and on with an events
//    stream open (its status poll running): the console must not slow the data plane.
// Run: npm run build && npm run bench -- console   (BENCH_ROUNDS=5, CALLS=200)
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium } from 'playwright-core';
import { loadConfig } from '../../src/config/index.js';
import { createConsole } from '../../src/console/console.js';
import { createGateway, spawnStdioConnector, type Gateway } from '../../src/gateway/index.js';
import { openStateStore } from '../../src/state/sqlite.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLS = Number(process.env.CALLS ?? 200);
const TOKEN = 'bench-console-token-0123456789';
const REPO = resolve('.');
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const pct = (s: number[], p: number): number =>
  [...s].sort((a, b) => a - b)[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
const median = (s: number[]): number => pct(s, 50);
const fmt = (r: number[]): string =>
  `x${median(r).toFixed(2)} (rounds ${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)})`;

const dir = mkdtempSync(join(tmpdir(), 'cf-bench-console-'));
const runtimes = Array.from({ length: 100 }, (_, i) => `  - { name: rt${i}, catalog: qs, backend: local }`).join('\n');
writeFileSync(
  join(dir, 'contextforge.yaml'),
  `name: bench-console
backends:
  local: { type: process }
catalog:
  - name: Quick start
    slug: qs
    supported_backends: [process]
    source: { type: command, command: node, args: [${JSON.stringify(join(REPO, 'examples/quickstart-server/server.js'))}] }
    transport: { type: stdio }
    guardrails_profile: unrestricted
runtimes:
${runtimes}
gateway:
  auth: { tokens: ["${TOKEN}"] }
`,
);
const loaded = await loadConfig(join(dir, 'contextforge.yaml'));
if (!loaded.value) throw new Error(JSON.stringify(loaded.diags));
const config = loaded.value;
const store = openStateStore({ path: join(dir, 'state.db') });
for (let i = 0; i < 100; i++)
  store.putRuntime({
    stack: config.stack,
    address: `runtime.rt${i}`,
    runtime: `rt${i}`,
    backend: 'local',
    backendType: 'process',
    specHash: `h${i}`,
    spec: {} as never,
    status: 'running',
    warnings: [],
    appliedAt: new Date().toISOString(),
  });

async function serve(withConsole: boolean): Promise<{ gw: Gateway; url: string; close: () => Promise<void> }> {
  let status: Gateway['status'] = () => [];
  const c = withConsole ? createConsole({ config: () => config, store, gatewayStatus: () => status() }) : undefined;
  const gw = createGateway({
    port: 0,
    auth: { mode: 'token', tokens: [TOKEN] },
    logger: silent,
    extension: c?.extension,
  });
  const url = (await gw.start()).url;
  status = () => gw.status();
  await gw.setUpstreams([
    {
      name: 'qs',
      transport: 'stdio',
      stdio: spawnStdioConnector({
        command: process.execPath,
        args: [join(REPO, 'examples/quickstart-server/server.js')],
      }),
      specHash: '1',
    },
  ]);
  await gw.settled(60_000);
  return {
    gw,
    url,
    close: async () => {
      await c?.close();
      await gw.stop();
    },
  };
}

async function timeGets(url: string, path: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
    out.push(performance.now() - t0);
  }
  return out;
}

async function timeCalls(url: string): Promise<number[]> {
  const c = new Client({ name: 'bench', version: '0' });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  await c.callTool({ name: 'qs__echo', arguments: { message: 'warm' } });
  const out: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await c.callTool({ name: 'qs__echo', arguments: { message: `m${i}` } });
    out.push(performance.now() - t0);
  }
  await c.close();
  return out;
}

process.stdout.write(
  `load before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
const on = await serve(true);
const off = await serve(false);

// 1. /runtimes with 100 runtimes vs /healthz.
const r1: { p50: number[]; p95: number[]; abs50: number[]; abs95: number[] } = {
  p50: [],
  p95: [],
  abs50: [],
  abs95: [],
};
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? ['rt', 'hz'] : ['hz', 'rt'];
  const got: Record<string, number[]> = {};
  for (const k of order) got[k] = await timeGets(on.url, k === 'rt' ? '/api/v1/runtimes' : '/healthz', 30);
  r1.p50.push(median(got.rt) / median(got.hz));
  r1.p95.push(pct(got.rt, 95) / pct(got.hz, 95));
  r1.abs50.push(median(got.rt));
  r1.abs95.push(pct(got.rt, 95));
}
const check = (await (
  await fetch(`${on.url}/api/v1/runtimes`, { headers: { authorization: `Bearer ${TOKEN}` } })
).json()) as {
  runtimes: unknown[];
};
process.stdout.write(`\n/api/v1/runtimes (${check.runtimes.length} runtimes) vs /healthz, same listener:\n`);
process.stdout.write(`  p50 ${median(r1.abs50).toFixed(1)} ms, ratio ${fmt(r1.p50)}\n`);
process.stdout.write(`  p95 ${median(r1.abs95).toFixed(1)} ms, ratio ${fmt(r1.p95)}\n`);

// 2. First paint of /ui and time to the runtimes table vs a one-line page.
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (CHROMIUM) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const { createServer } = await import('node:http');
  const plain = createServer((_q, s) => {
    s.writeHead(200, { 'content-type': 'text/html' });
    s.end('<!doctype html><p>baseline</p>');
  });
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  const plainUrl = `http://127.0.0.1:${(plain.address() as { port: number }).port}/`;
  const fcp = async (url: string, token?: string): Promise<{ fcp: number; table?: number }> => {
    const ctx = await browser.newContext();
    if (token) await ctx.addInitScript({ content: `sessionStorage.setItem('cf-token', ${JSON.stringify(token)})` });
    const page = await ctx.newPage();
    await page.goto(url);
    let table: number | undefined;
    if (token) {
      await page.locator('tr[data-runtime="rt99"]').waitFor({ timeout: 60_000 });
      table = await page.evaluate(() => performance.now());
    }
    // A string, evaluated in the page: the paint timeline is the browser's, not Node's.
    const v = (await page.evaluate(`new Promise((res) => {
      const e = performance.getEntriesByName('first-contentful-paint')[0];
      if (e) return res(e.startTime);
      new PerformanceObserver((l) => res(l.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true });
    })`)) as number;
    await ctx.close();
    return { fcp: v, table };
  };
  const ui: number[] = [];
  const tbl: number[] = [];
  const abs: { ui: number[]; base: number[]; table: number[] } = { ui: [], base: [], table: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const base = (await fcp(plainUrl)).fcp;
    const u = (await fcp(`${on.url}/ui`)).fcp;
    const t = (await fcp(`${on.url}/ui#/runtimes`, TOKEN)).table!;
    ui.push(u / base);
    tbl.push(t / base);
    abs.ui.push(u);
    abs.base.push(base);
    abs.table.push(t);
  }
  process.stdout.write(
    `\nFirst contentful paint, headless Chromium (baseline: a one-line page, ${median(abs.base).toFixed(0)} ms):\n`,
  );
  process.stdout.write(`  /ui sign-in page: ${median(abs.ui).toFixed(0)} ms, ratio ${fmt(ui)}\n`);
  process.stdout.write(
    `  /ui runtimes table with 100 rows drawn: ${median(abs.table).toFixed(0)} ms, ratio ${fmt(tbl)}\n`,
  );
  await browser.close();
  plain.close();
} else process.stdout.write('\n(first paint skipped: no chromium)\n');

// 3. tools/call with the console off, on, and on with a live events stream.
const ratios = { on: [] as number[], stream: [] as number[] };
const abs3 = { off: [] as number[], on: [] as number[], stream: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  // The first target alternates per round, so a load swing does not favour one.
  let offMs = 0;
  let onMs = 0;
  if (round % 2) {
    onMs = median(await timeCalls(on.url));
    offMs = median(await timeCalls(off.url));
  } else {
    offMs = median(await timeCalls(off.url));
    onMs = median(await timeCalls(on.url));
  }
  const ac = new AbortController();
  const sse = await fetch(`${on.url}/api/v1/events/stream`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: ac.signal,
  });
  void sse.body?.pipeTo(new WritableStream()).catch(() => undefined);
  const streamMs = median(await timeCalls(on.url));
  ac.abort();
  ratios.on.push(onMs / offMs);
  ratios.stream.push(streamMs / offMs);
  abs3.off.push(offMs);
  abs3.on.push(onMs);
  abs3.stream.push(streamMs);
}
process.stdout.write(`\ntools/call p50 through the gateway (${CALLS} calls per round, stdio upstream):\n`);
process.stdout.write(`  console off: ${median(abs3.off).toFixed(2)} ms\n`);
process.stdout.write(`  console on / off: ${fmt(ratios.on)} (${median(abs3.on).toFixed(2)} ms)\n`);
process.stdout.write(
  `  console on + events stream open / off: ${fmt(ratios.stream)} (${median(abs3.stream).toFixed(2)} ms)\n`,
);
process.stdout.write(
  `\nload after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);

await on.close();
await off.close();
store.close();
rmSync(dir, { recursive: true, force: true });
