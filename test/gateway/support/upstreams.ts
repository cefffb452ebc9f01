// Test upstreams for the gateway: the reference "everything" MCP server spawned as a child
// process (Streamable HTTP, SSE or stdio), and a small controlled server built on the SDK's
// Server (slow, progress, echo and dynamically added tools). Loopback only.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  isInitializeRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { until } from '../../support/wait.js';

export const EVERYTHING = fileURLToPath(
  new URL('../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
);

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface EverythingProcess {
  url: string;
  port: number;
  child: ChildProcess;
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

/** Spawns server-everything in 'streamableHttp' or 'sse' mode on a free loopback port (PORT env). */
export async function spawnEverything(mode: 'streamableHttp' | 'sse'): Promise<EverythingProcess> {
  const port = await freePort();
  const path = mode === 'sse' ? '/sse' : '/mcp';
  const proc: EverythingProcess = {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    child: undefined as unknown as ChildProcess,
    async kill() {
      const c = proc.child;
      if (c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    },
    async restart() {
      proc.child = await launch(mode, port);
    },
  };
  proc.child = await launch(mode, port);
  return proc;
}

async function launch(mode: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [EVERYTHING, mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`everything ${mode} did not start: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/listening on port|running on port/i.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`everything ${mode} exited with ${code}: ${err}`));
    });
  });
  child.stderr!.resume();
  return child;
}

export interface ControlledServer {
  url: string;
  /** Highest number of tool calls observed running at once. */
  maxConcurrent: number;
  /** Tool calls running right now. */
  readonly running: number;
  /** Makes every `gated` call wait until the returned function is called. */
  hold(): () => void;
  /** Makes every new session's initialize wait until the returned function is called. */
  holdInitialize(): () => void;
  calls: number;
  cancelled: number;
  /** MCP sessions initialized so far (one per gateway upstream session). */
  sessionsOpened: number;
  addTool(name: string): void;
  /** Drops every session and listens again on the same port, like a restarted server. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Streamable HTTP MCP server with tools whose behaviour tests control: `echo`, `slow` (sleeps
 * `ms`, honours cancellation), `progress` (emits `steps` progress notifications first) and any
 * tool added later with addTool (which sends tools/list_changed to every session).
 */
export async function startControlledServer(): Promise<ControlledServer> {
  const tools: Tool[] = [
    { name: 'echo', inputSchema: { type: 'object', properties: { message: { type: 'string' } } } },
    { name: 'slow', inputSchema: { type: 'object', properties: { ms: { type: 'number' } } } },
    { name: 'progress', inputSchema: { type: 'object', properties: { steps: { type: 'number' } } } },
    { name: 'gated', inputSchema: { type: 'object' } },
  ];
  const sessions = new Map<string, { server: Server; transport: StreamableHTTPServerTransport }>();
  let running = 0;
  let gate: Promise<void> = Promise.resolve();
  let initGate: Promise<void> = Promise.resolve();
  const state: ControlledServer = {
    url: '',
    maxConcurrent: 0,
    get running() {
      return running;
    },
    hold() {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return release;
    },
    holdInitialize() {
      let release!: () => void;
      initGate = new Promise<void>((r) => (release = r));
      return release;
    },
    calls: 0,
    cancelled: 0,
    sessionsOpened: 0,
    addTool(name) {
      tools.push({ name, inputSchema: { type: 'object' } });
      for (const s of sessions.values()) void s.server.sendToolListChanged().catch(() => undefined);
    },
    async restart() {
      const port = (http.address() as AddressInfo).port;
      await state.close();
      sessions.clear();
      await new Promise<void>((r) => http.listen(port, '127.0.0.1', r));
    },
    async close() {
      for (const s of sessions.values()) await s.server.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
  const makeServer = (): Server => {
    const server = new Server(
      { name: 'controlled', version: '1.0.0' },
      { capabilities: { tools: { listChanged: true } } },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      state.calls++;
      running++;
      state.maxConcurrent = Math.max(state.maxConcurrent, running);
      try {
        const args = (req.params.arguments ?? {}) as Record<string, unknown>;
        if (req.params.name === 'slow') {
          const ms = Number(args.ms ?? 100);
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, ms);
            extra.signal.addEventListener('abort', () => {
              clearTimeout(t);
              state.cancelled++;
              resolve();
            });
          });
          return { content: [{ type: 'text', text: `slept ${ms}` }] };
        }
        if (req.params.name === 'progress') {
          const steps = Number(args.steps ?? 3);
          const token = extra._meta?.progressToken;
          for (let i = 1; i <= steps; i++) {
            if (token !== undefined)
              await extra.sendNotification({
                method: 'notifications/progress',
                params: { progressToken: token, progress: i, total: steps, message: `step ${i}` },
              });
            await new Promise((r) => setTimeout(r, 10));
          }
          return { content: [{ type: 'text', text: `done ${steps}` }] };
        }
        if (req.params.name === 'gated') {
          await gate;
          return { content: [{ type: 'text', text: 'slept gated' }] };
        }
        if (req.params.name === 'echo') return { content: [{ type: 'text', text: `echo: ${String(args.message)}` }] };
        if (tools.some((t) => t.name === req.params.name))
          return { content: [{ type: 'text', text: `called ${req.params.name}` }] };
        throw new Error(`unknown tool ${req.params.name}`);
      } finally {
        running--;
      }
    });
    return server;
  };
  const http: HttpServer = createServer(async (req, res) => {
    let body: unknown;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString());
    }
    const sid = req.headers['mcp-session-id'] as string | undefined;
    const existing = sid ? sessions.get(sid) : undefined;
    if (existing) return existing.transport.handleRequest(req, res, body);
    if (!isInitializeRequest(body)) {
      res.writeHead(404).end();
      return;
    }
    await initGate;
    const server = makeServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        state.sessionsOpened++;
        sessions.set(id, { server, transport });
      },
    });
    server.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  return state;
}

/** A real SDK client over Streamable HTTP, optionally with a bearer token. */
export async function connectClient(url: string, token?: string, fetch?: FetchLike): Promise<Client> {
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: {} });
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, fetch }));
  return client;
}

export function text(result: unknown): string {
  const r = result as { content?: Array<{ type: string; text?: string }> };
  return (r.content ?? []).map((c) => c.text ?? '').join('');
}

export function quietLogger(lines: string[] = []): {
  debug: (m: string) => void;
  info: (m: string) => void;
  warn: (m: string, f?: Record<string, unknown>) => void;
  error: (m: string, f?: Record<string, unknown>) => void;
  lines: string[];
} {
  return {
    lines,
    debug: () => undefined,
    info: (m) => void lines.push(`info ${m}`),
    warn: (m, f) => void lines.push(`warn ${m} ${f ? JSON.stringify(f) : ''}`),
    error: (m, f) => void lines.push(`error ${m} ${f ? JSON.stringify(f) : ''}`),
  };
}

/** Polls check every 50 ms until it holds; the bound only turns a hang into a failure (see until()). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  await until(check, timeoutMs, what, 50);
}
