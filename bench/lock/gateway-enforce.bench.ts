// Benchmark (issue 13): what lock enforcement adds to a gateway call. One gateway, one real
// upstream (test/fixtures/servers/rug-pull-server.mjs over Streamable HTTP) served twice: `on`
// with a lock entry (enforce, every hash matching), `off` without. Calls of the same tool through
// both names are interleaved in rounds, so both see the same machine; tools/list is timed the
// same way. Prints medians and ratios; the check runs on list, so calls should stay within noise.
// Never pass/fail. Run: node --import tsx bench/lock/gateway-enforce.bench.ts (CALLS=400)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { listSurface } from '../../src/backends/surface-client.js';
import { createGateway, type UpstreamLock } from '../../src/gateway/index.js';
import { SURFACE_KINDS } from '../../src/model/tool-surface.js';
import { connectClient, quietLogger } from '../../test/gateway/support/upstreams.js';

const CALLS = Number(process.env.CALLS ?? 400);
const SERVER = fileURLToPath(new URL('../../test/fixtures/servers/rug-pull-server.mjs', import.meta.url));
const child = spawn(process.execPath, [SERVER], {
  env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise<number>((resolve) => {
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    const m = /listening on (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
});
const url = `http://127.0.0.1:${port}/mcp`;
const surface = await listSurface(new StreamableHTTPClientTransport(new URL(url)), 10_000);
const hashes = Object.fromEntries(
  SURFACE_KINDS.map((k) => [k, Object.fromEntries(Object.entries(surface[k]).map(([key, e]) => [key, e.hash]))]),
) as UpstreamLock['hashes'];
const gw = createGateway({ port: 0, auth: { mode: 'none' }, logger: quietLogger() });
const base = (await gw.start()).url;
await gw.setUpstreams([
  { name: 'on', transport: 'streamable-http', url, specHash: 'on', lock: { mode: 'enforce', hashes } },
  { name: 'off', transport: 'streamable-http', url, specHash: 'off' },
]);
await gw.settled();
const client = await connectClient(`${base}/mcp`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
const time = async (f: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};
try {
  for (let i = 0; i < 50; i++) {
    await client.callTool({ name: 'on__add', arguments: { a: 1, b: 2 } });
    await client.callTool({ name: 'off__add', arguments: { a: 1, b: 2 } });
  }
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    // Alternate which goes first, so neither always runs on a warmer path.
    const first = i % 2 === 0;
    const a = () => client.callTool({ name: 'on__add', arguments: { a: i, b: 1 } });
    const b = () => client.callTool({ name: 'off__add', arguments: { a: i, b: 1 } });
    if (first) {
      on.push(await time(a));
      off.push(await time(b));
    } else {
      off.push(await time(b));
      on.push(await time(a));
    }
  }
  // tools/list after every change of the catalog: the cached verdict keeps it a lookup.
  const lists: number[] = [];
  for (let i = 0; i < 100; i++) lists.push(await time(() => client.listTools()));
  process.stdout.write(
    `tools/call through the gateway, ${CALLS} each, interleaved:\n` +
      `  enforcement off: median ${median(off).toFixed(2)} ms, p95 ${p95(off).toFixed(2)} ms\n` +
      `  enforcement on:  median ${median(on).toFixed(2)} ms, p95 ${p95(on).toFixed(2)} ms\n` +
      `  ratio on/off: median ${(median(on) / median(off)).toFixed(3)}, p95 ${(p95(on) / p95(off)).toFixed(3)}\n` +
      `tools/list (both runtimes, one locked): median ${median(lists).toFixed(2)} ms\n`,
  );
} finally {
  await client.close();
  await gw.stop();
  child.kill();
}
