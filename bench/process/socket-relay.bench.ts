// Process-backend benchmark (prints figures; never pass/fail). Same run, same server (the
// quick-start example, `echo`), same SDK Client:
//  1. tools/call latency p50/p95/p99 and throughput at concurrency 1, 8, 32: directly on a child's
//     stdio (baseline) vs through the supervisor's unix socket relay (what the gateway uses);
//  2. session setup (connect + initialize): spawning a child vs taking the supervisor's warm child.
// Run: node --import tsx bench/process/socket-relay.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createProcessBackend } from '../../src/backends/process/index.js';
import { processSocketConnector } from '../../src/host/process-connector.js';
import type { DesiredResource } from '../../src/model/resources.js';
import { commandRuntime } from '../../test/support/process.js';

const SERVER = resolve('examples/quickstart-server/server.js');
const dir = mkdtempSync(join(tmpdir(), 'cf-bench-process-'));
const stack = 'bench';
const pct = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
const f = (n: number): string => n.toFixed(3).padStart(9);

async function load(
  client: Client,
  concurrency: number,
  total: number,
): Promise<{ p50: number; p95: number; p99: number; rps: number; errors: number }> {
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const s = performance.now();
        try {
          const r = await client.callTool({ name: 'echo', arguments: { message: 'bench' } });
          if (r.isError) errors++;
        } catch {
          errors++;
        }
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), rps: total / secs, errors };
}

async function direct(): Promise<Client> {
  const c = new Client({ name: 'bench-direct', version: '0' });
  await c.connect(new StdioClientTransport({ command: process.execPath, args: [SERVER], stderr: 'ignore' }));
  return c;
}

async function relayed(socketPath: string): Promise<Client> {
  const c = new Client({ name: 'bench-relay', version: '0' });
  await c.connect(await processSocketConnector(socketPath).connect());
  return c;
}

const backend = createProcessBackend('local', { type: 'process' }, { configDir: dir, stack });
const desired: DesiredResource = commandRuntime('bench', { args: [SERVER], specHash: 'bench' });
const ctx = { stack, signal: new AbortController().signal, progress: () => undefined };

try {
  const created = await backend.apply(backend.plan(desired, undefined), ctx);
  const attach = created.observed?.endpoint?.attach;
  if (!attach || attach.kind !== 'process') throw new Error(`apply failed: ${JSON.stringify(created.diags)}`);
  const socketPath = attach.socketPath;

  console.log('tools/call echo, quick-start server (ms; rps = calls per second)');
  console.log('conc  path        p50       p95       p99        rps  errors   p50 added  rps ratio');
  for (const conc of [1, 8, 32]) {
    const total = conc === 1 ? 1000 : 3000;
    const a = await direct();
    await load(a, conc, 200); // warm-up
    const base = await load(a, conc, total);
    await a.close();
    const b = await relayed(socketPath);
    await load(b, conc, 200);
    const via = await load(b, conc, total);
    await b.close();
    console.log(
      `${String(conc).padStart(4)}  direct ${f(base.p50)} ${f(base.p95)} ${f(base.p99)} ${base.rps.toFixed(0).padStart(10)} ${String(base.errors).padStart(7)}`,
    );
    console.log(
      `${String(conc).padStart(4)}  socket ${f(via.p50)} ${f(via.p95)} ${f(via.p99)} ${via.rps.toFixed(0).padStart(10)} ${String(via.errors).padStart(7)} ${f(via.p50 - base.p50)}   ${(via.rps / base.rps).toFixed(2)}x`,
    );
  }

  const setups = async (open: () => Promise<Client>): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      const c = await open();
      out.push(performance.now() - t);
      await c.close();
      await new Promise((r) => setTimeout(r, 1500)); // let the supervisor's next warm child finish loading
    }
    return out.sort((x, y) => x - y);
  };
  const sp = await setups(direct);
  const wm = await setups(() => relayed(socketPath));
  console.log('\nsession setup (connect + initialize), 10 runs, ms');
  console.log(`  spawn a child:        p50 ${f(pct(sp, 50))}  max ${f(sp[sp.length - 1])}`);
  console.log(
    `  supervisor warm child: p50 ${f(pct(wm, 50))}  max ${f(wm[wm.length - 1])}  (ratio ${(pct(wm, 50) / pct(sp, 50)).toFixed(2)}x)`,
  );
} finally {
  for (const o of (await backend.observe(stack)).value ?? []) await backend.apply(backend.plan(undefined, o), ctx);
  rmSync(dir, { recursive: true, force: true });
}
