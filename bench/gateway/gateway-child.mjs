// Child process running one gateway for the benchmark, built code only (dist/, plain node, no
// tsx), so that the gateway measured is the one users run and does not share an event loop with
// the load generator. GATEWAY_DIST names another build's dist/ (e.g. main before a change).
// Upstreams come from env UPSTREAMS (JSON): `url` → HTTP; `command` → the gateway spawns a stdio
// child itself; `socket` → a process-backend supervisor's socket (the `up` path; `direct` as the
// supervisor's status says). Prints its URL.
import { pathToFileURL } from 'node:url';

const dist = process.env.GATEWAY_DIST
  ? pathToFileURL(`${process.env.GATEWAY_DIST.replace(/\/$/, '')}/`)
  : new URL('../../dist/', import.meta.url);
const { createGateway, spawnStdioConnector } = await import(new URL('gateway/index.js', dist).href);
const { processSocketConnector } = await import(new URL('host/process-connector.js', dist).href);

const entries = JSON.parse(process.env.UPSTREAMS ?? '[]');
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const gw = createGateway({
  port: 0,
  auth: { mode: 'token', tokens: [process.env.TOKEN ?? 'bench-token'] },
  logger: silent,
  maxConcurrency: Number(process.env.MAX_CONCURRENCY ?? 64),
});
const { url } = await gw.start();
await gw.setUpstreams(
  entries.map((e) => ({
    name: e.name,
    transport: e.transport,
    url: e.url,
    specHash: '1',
    stdio: e.command
      ? spawnStdioConnector({ command: e.command, args: e.args })
      : e.socket
        ? processSocketConnector(e.socket, { direct: e.direct })
        : undefined,
  })),
);
await gw.settled();
process.stdout.write(`${url}\n`);
const stop = () => void gw.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
