// Child process running one gateway for the benchmark, so that the gateway does not share an
// event loop with the load generator. Upstreams come from env UPSTREAMS (JSON specs without
// connectors; an entry with `command` becomes a spawned stdio upstream). Prints its base URL.
import { createGateway, spawnStdioConnector, type UpstreamSpec } from '../../src/gateway/index.js';

interface Entry { name: string; transport: UpstreamSpec['transport']; url?: string; command?: string; args?: string[] }
const entries = JSON.parse(process.env.UPSTREAMS ?? '[]') as Entry[];
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const gw = createGateway({ port: 0, auth: { mode: 'token', tokens: [process.env.TOKEN ?? 'bench-token'] }, logger: silent, maxConcurrency: Number(process.env.MAX_CONCURRENCY ?? 64) });
const { url } = await gw.start();
await gw.setUpstreams(entries.map((e) => ({
  name: e.name, transport: e.transport, url: e.url, specHash: '1',
  stdio: e.command ? spawnStdioConnector({ command: e.command, args: e.args }) : undefined,
})));
await gw.settled();
process.stdout.write(`${url}\n`);
const stop = (): void => void gw.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
