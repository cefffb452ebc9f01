// Waits until a freshly started runtime is usable: the image's Docker healthcheck when it has
// one, else an MCP `initialize` over the published port (Streamable HTTP or SSE), else (stdio)
// the container staying up. Bounded by a deadline and the caller's abort signal; read-only.

import { request } from 'node:http';
import type Dockerode from 'dockerode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Endpoint } from '../../plan/types.js';

export interface HealthOptions {
  docker: Dockerode;
  containerId: string;
  endpoint?: Endpoint;
  timeoutMs: number;
  signal?: AbortSignal;
  progress(message: string): void;
}

export type HealthResult = { ok: true; via: string } | { ok: false; why: string };

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Whether anything answers HTTP at the URL, within a short bound. This comes before the MCP
 * handshake because docker-proxy accepts connections before the server listens and then drops
 * them, and a fetch on such a connection can hang until its own timeout: a plain request with a
 * one-second bound finds out sooner.
 */
export function httpAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs, headers: { accept: 'text/event-stream, application/json' } }, (res) => {
      res.destroy();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** One MCP initialize handshake; resolves true on success. */
export async function mcpInitialize(endpoint: Endpoint, timeoutMs: number): Promise<boolean> {
  if (!endpoint.url) return false;
  const url = new URL(endpoint.url);
  const client = new Client({ name: 'contextforge-health', version: '0.1.0' });
  const transport = endpoint.transport === 'sse' ? new SSEClientTransport(url) : new StreamableHTTPClientTransport(url);
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  try {
    return await Promise.race([client.connect(transport).then(() => true, () => false), timer]);
  } finally {
    await client.close().catch(() => undefined);
  }
}

export async function waitHealthy(opts: HealthOptions): Promise<HealthResult> {
  const deadline = Date.now() + opts.timeoutMs;
  const container = opts.docker.getContainer(opts.containerId);
  let announced = false;
  while (Date.now() < deadline && !opts.signal?.aborted) {
    const info = await container.inspect();
    const state = info.State;
    if (!state.Running && !state.Restarting) {
      return { ok: false, why: `the container stopped (exit code ${state.ExitCode}${state.OOMKilled ? ', killed for exceeding max_memory' : ''})` };
    }
    if (state.Health) {
      if (state.Health.Status === 'healthy') return { ok: true, via: 'docker healthcheck' };
      if (state.Health.Status === 'unhealthy') return { ok: false, why: 'the Docker healthcheck reports unhealthy' };
    } else if (!opts.endpoint || opts.endpoint.transport === 'stdio') {
      // stdio: the server has nothing to probe from here; staying up for a moment is the signal.
      await sleep(500, opts.signal);
      const again = await container.inspect();
      if (again.State.Running) return { ok: true, via: 'container running' };
      continue;
    } else if (state.Running) {
      if (!announced) {
        opts.progress(`waiting for MCP initialize at ${opts.endpoint.url}`);
        announced = true;
      }
      const left = Math.max(500, Math.min(5000, deadline - Date.now()));
      if ((await httpAnswers(opts.endpoint.url!)) && (await mcpInitialize(opts.endpoint, left))) return { ok: true, via: 'MCP initialize' };
    }
    await sleep(150, opts.signal);
  }
  return { ok: false, why: opts.signal?.aborted ? 'the action was cancelled' : `not healthy within ${Math.round(opts.timeoutMs / 1000)}s` };
}
