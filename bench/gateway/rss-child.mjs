// Child process for the RSS figure, built code only (dist/): a gateway with UPSTREAMS upstream
// sessions (all to UPSTREAM_URL), connected and listed once; prints RSS and heap after a GC.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createGateway } from '../../dist/gateway/index.js';

const n = Number(process.env.UPSTREAMS ?? 0);
const url = process.env.UPSTREAM_URL ?? '';
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const gw = createGateway({ port: 0, auth: { mode: 'token', tokens: ['t'] }, logger: silent });
const base = (await gw.start()).url;
await gw.setUpstreams(
  Array.from({ length: n }, (_, i) => ({ name: `up${i}`, transport: 'streamable-http', url, specHash: '1' })),
);
await gw.settled();
const c = new Client({ name: 'rss', version: '0' });
await c.connect(
  new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
    requestInit: { headers: { Authorization: 'Bearer t' } },
  }),
);
const tools = (await c.listTools()).tools.length;
await c.close();
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 200));
const m = process.memoryUsage();
const connected = gw.status().filter((s) => s.state === 'connected').length;
process.stdout.write(
  `RSS ${(m.rss / 1048576).toFixed(1)} MiB, heap used ${(m.heapUsed / 1048576).toFixed(1)} MiB, ${connected} connected, ${tools} federated tools\n`,
);
await gw.stop();
