// Cost of per-session isolation on a Docker stdio runtime (prints figures; never pass/fail).
// Same run, same container image (server-everything, stdio), same SDK client over the gateway's
// Streamable HTTP: the baseline is today's shared `docker attach` (every session uses the one
// server), against `docker exec` per gateway session (a server process each). For N new sessions
// opened one after another and kept open, it reports the time from a new session's connect to
// its first tools/call answer, and the container's memory (cgroup usage minus inactive file
// cache, as `docker stats` shows it) per extra session; a third column keeps a warm spare.
// Run: npm run bench -- gateway-sessions   (SESSIONS=20 to change N, GAP_MS between new sessions)
import Dockerode from 'dockerode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  createGateway,
  dockerAttachConnector,
  dockerExecConnector,
  type StdioConnector,
} from '../../src/gateway/index.js';

const N = Number(process.env.SESSIONS ?? 10);
const GAP_MS = Number(process.env.GAP_MS ?? 3000);
const IMAGE = 'contextforge-fixture/everything:latest';
const docker = new Dockerode();
const run = `cf-bench-sessions-${process.pid}`;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const pct = (s: number[], p: number): number =>
  [...s].sort((a, b) => a - b)[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];

async function memoryBytes(id: string): Promise<number> {
  const s = (await docker.getContainer(id).stats({ stream: false })) as unknown as {
    memory_stats: { usage: number; stats?: Record<string, number> };
  };
  const cache = s.memory_stats.stats?.inactive_file ?? s.memory_stats.stats?.total_inactive_file ?? 0;
  return s.memory_stats.usage - cache;
}

async function container(name: string): Promise<string> {
  const c = await docker.createContainer({
    name,
    Image: IMAGE,
    Cmd: ['stdio'],
    OpenStdin: true,
    StdinOnce: false,
    Tty: false,
    Labels: { 'dev.contextforge.bench': run },
    HostConfig: { NetworkMode: 'none' },
  });
  await c.start();
  return c.id;
}

async function measure(
  label: string,
  connector: (id: string) => StdioConnector,
): Promise<{ firstCallMs: number[]; perSessionMiB: number }> {
  const id = await container(`${run}-${label}`);
  const gw = createGateway({ port: 0, auth: { mode: 'none' }, logger: silent });
  const base = (await gw.start()).url;
  await gw.setUpstreams([{ name: 'box', transport: 'stdio', stdio: connector(id), specHash: '1' }]);
  await gw.settled(60_000);
  const clients: Client[] = [];
  try {
    // One warm-up session so both variants start with the shared session in place.
    const warm = new Client({ name: 'bench-warm', version: '0' });
    await warm.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    await warm.callTool({ name: 'box__echo', arguments: { message: 'warm' } });
    clients.push(warm);
    await new Promise((r) => setTimeout(r, 1000));
    const before = await memoryBytes(id);
    const firstCallMs: number[] = [];
    for (let i = 0; i < N; i++) {
      // Clients arrive some time apart (the same gap for every variant), as they do in use.
      await new Promise((r) => setTimeout(r, GAP_MS));
      const t0 = performance.now();
      const c = new Client({ name: `bench-${i}`, version: '0' });
      await c.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
      await c.callTool({ name: 'box__echo', arguments: { message: `s${i}` } });
      firstCallMs.push(performance.now() - t0);
      clients.push(c);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const after = await memoryBytes(id);
    return { firstCallMs, perSessionMiB: (after - before) / N / 2 ** 20 };
  } finally {
    for (const c of clients) {
      await (c.transport as StreamableHTTPClientTransport).terminateSession().catch(() => undefined);
      await c.close();
    }
    await gw.stop();
    await docker.getContainer(id).remove({ force: true });
  }
}

const attach = await measure('attach', (id) => dockerAttachConnector({ docker, containerId: id }));
const exec = await measure('exec', (id) => dockerExecConnector({ docker, containerId: id }));
const spare = await measure('spare', (id) => dockerExecConnector({ docker, containerId: id, spare: true }));
const f = (n: number): string => n.toFixed(1).padStart(9);
const r = (n: number, base: number): string => `${(n / base).toFixed(1)}x`.padStart(7);
process.stdout.write(
  `Docker stdio runtime, ${N} new gateway sessions each, ${GAP_MS} ms apart (same run; ratios against the shared attach)\n`,
);
process.stdout.write(`                                  shared attach  exec/session   ratio  exec+spare   ratio\n`);
for (const p of [50, 95]) {
  const a = pct(attach.firstCallMs, p);
  const e = pct(exec.firstCallMs, p);
  const w = pct(spare.firstCallMs, p);
  process.stdout.write(`time to first call p${p} (ms)     ${f(a)}     ${f(e)} ${r(e, a)}   ${f(w)} ${r(w, a)}\n`);
}
process.stdout.write(
  `container memory per session (MiB) ${f(attach.perSessionMiB)}     ${f(exec.perSessionMiB)}           ${f(spare.perSessionMiB)}\n`,
);
