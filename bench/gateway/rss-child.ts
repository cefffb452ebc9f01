// Child process for the RSS figure: a gateway with UPSTREAMS upstream sessions (all to
// UPSTREAM_URL), connected and listed once; prints RSS and heap after a GC, then exits.
import { createGateway } from '../../src/gateway/index.js';
import { connectClient } from '../../test/gateway/support/upstreams.js';

const n = Number(process.env.UPSTREAMS ?? 0);
const url = process.env.UPSTREAM_URL ?? '';
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const gw = createGateway({ port: 0, auth: { mode: 'token', tokens: ['t'] }, logger: silent });
const base = (await gw.start()).url;
await gw.setUpstreams(Array.from({ length: n }, (_, i) => ({ name: `up${i}`, transport: 'streamable-http' as const, url, specHash: '1' })));
await gw.settled();
const c = await connectClient(`${base}/mcp`, 't');
const tools = (await c.listTools()).tools.length;
await c.close();
(globalThis as { gc?: () => void }).gc?.();
await new Promise((r) => setTimeout(r, 200));
const m = process.memoryUsage();
const connected = gw.status().filter((s) => s.state === 'connected').length;
process.stdout.write(`RSS ${(m.rss / 1048576).toFixed(1)} MiB, heap used ${(m.heapUsed / 1048576).toFixed(1)} MiB, ${connected} connected, ${tools} federated tools\n`);
await gw.stop();
