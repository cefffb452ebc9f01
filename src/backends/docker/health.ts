// Waits until a freshly started runtime is usable: the image's Docker healthcheck when it has
// one, else an MCP `initialize` over the published port (Streamable HTTP or SSE), else (stdio)
// the container staying up. Bounded by a deadline and the caller's abort signal; read-only.
// It learns about the container from Docker's event stream, not by polling inspect.

import { request } from 'node:http';
import type Dockerode from 'dockerode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Endpoint } from '../../model/resources.js';
import { watchContainer, type ContainerWatch } from './events.js';

export interface HealthOptions {
  docker: Dockerode;
  containerId: string;
  endpoint?: Endpoint;
  timeoutMs: number;
  signal?: AbortSignal;
  progress(message: string): void;
}

export type HealthResult = { ok: true; via: string } | { ok: false; why: string };

/** Pause between two probes of a port that does not answer yet. */
const PROBE_GAP_MS = 100;
/**
 * Inspects are a safety net only (a lost event stream, a daemon restart): state changes arrive
 * as events, so the container is inspected this rarely while a server starts.
 */
const SAFETY_INSPECT_MS = 5000;

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
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
export function httpAnswers(url: string, timeoutMs = 1000, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const req = request(
      url,
      {
        method: 'GET',
        agent: false,
        timeout: timeoutMs,
        signal,
        headers: { accept: 'text/event-stream, application/json' },
      },
      (res) => {
        res.destroy();
        resolve(true);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * One MCP initialize handshake; resolves true on success. Every request of the attempt carries
 * an abort signal that fires at the timeout (or with the caller's signal): Node's fetch can
 * otherwise wait forever on a connection that docker-proxy accepted and then dropped.
 */
export async function mcpInitialize(endpoint: Endpoint, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  if (!endpoint.url || signal?.aborted) return false;
  const url = new URL(endpoint.url);
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(), timeoutMs);
  const onAbort = (): void => attempt.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const guarded = (input: string | URL, init?: RequestInit): Promise<Response> =>
    fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, attempt.signal]) : attempt.signal });
  const client = new Client({ name: 'contextforge-health', version: '0.1.0' });
  const transport =
    endpoint.transport === 'sse'
      ? new SSEClientTransport(url, { fetch: guarded })
      : new StreamableHTTPClientTransport(url, { fetch: guarded });
  const aborted = new Promise<boolean>((resolve) =>
    attempt.signal.addEventListener('abort', () => resolve(false), { once: true }),
  );
  try {
    return await Promise.race([
      client.connect(transport).then(
        () => true,
        () => false,
      ),
      aborted,
    ]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    // Ends the SSE stream a successful connect may have opened, and any request still in flight.
    attempt.abort();
    await client.close().catch(() => undefined);
  }
}

type Verdict = HealthResult | undefined;

/** The verdict an inspect gives: failed when stopped for good, Docker's health when it has one. */
function judge(info: Dockerode.ContainerInspectInfo): Verdict {
  const state = info.State;
  if (!state.Running && !state.Restarting) {
    return {
      ok: false,
      why: `the container stopped (exit code ${state.ExitCode}${state.OOMKilled ? ', killed for exceeding max_memory' : ''})`,
    };
  }
  if (state.Health?.Status === 'healthy') return { ok: true, via: 'docker healthcheck' };
  if (state.Health?.Status === 'unhealthy') return { ok: false, why: 'the Docker healthcheck reports unhealthy' };
  return undefined;
}

export async function waitHealthy(opts: HealthOptions): Promise<HealthResult> {
  const deadline = Date.now() + opts.timeoutMs;
  const container = opts.docker.getContainer(opts.containerId);
  // `stop` ends the event stream, the probes and the sleeps once a verdict is in.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let watch: ContainerWatch | undefined;
  try {
    // Subscribe before the first inspect, so that a change between the two is not missed.
    // A daemon that does not answer the subscription soon is inspected every 500 ms instead
    // (the pending request ends with `stop`).
    let subscribeTimer: NodeJS.Timeout | undefined;
    watch = await Promise.race([
      watchContainer(opts.docker, opts.containerId, stop.signal).catch(() => undefined),
      new Promise<undefined>((resolve) => (subscribeTimer = setTimeout(() => resolve(undefined), 2000))),
    ]);
    clearTimeout(subscribeTimer);
    const first = await container.inspect();
    const early = judge(first);
    if (early) return early;
    const hasHealthcheck = first.State.Health !== undefined;

    let verdict: Verdict;
    const settle = (v: Verdict): void => {
      if (v && !verdict) {
        verdict = v;
        stop.abort();
      }
    };
    // State: events when the stream is up, plus a rare inspect in case it is not.
    const watchState = async (): Promise<void> => {
      watch?.onEvent(async (e) => {
        if (e.kind === 'health')
          settle(
            e.status === 'healthy'
              ? { ok: true, via: 'docker healthcheck' }
              : e.status === 'unhealthy'
                ? { ok: false, why: 'the Docker healthcheck reports unhealthy' }
                : undefined,
          );
        else settle(judge(await container.inspect().catch(() => first)));
      });
      while (!stop.signal.aborted) {
        await sleep(watch?.alive() ? SAFETY_INSPECT_MS : 500, stop.signal);
        if (stop.signal.aborted) return;
        settle(judge(await container.inspect()));
      }
    };
    const probe = async (): Promise<void> => {
      if (hasHealthcheck) return;
      if (!opts.endpoint || opts.endpoint.transport === 'stdio') {
        // stdio: the server has nothing to probe from here; staying up for a moment is the signal.
        while (!stop.signal.aborted) {
          await sleep(500, stop.signal);
          if (stop.signal.aborted) return;
          const again = await container.inspect();
          settle(judge(again) ?? (again.State.Running ? { ok: true, via: 'container running' } : undefined));
        }
        return;
      }
      opts.progress(`waiting for MCP initialize at ${opts.endpoint.url}`);
      while (!stop.signal.aborted) {
        const left = Math.max(500, Math.min(5000, deadline - Date.now()));
        if (
          (await httpAnswers(opts.endpoint.url!, 1000, stop.signal)) &&
          (await mcpInitialize(opts.endpoint, left, stop.signal))
        ) {
          settle({ ok: true, via: 'MCP initialize' });
          return;
        }
        await sleep(PROBE_GAP_MS, stop.signal);
      }
    };
    const timer = setTimeout(() => stop.abort(), Math.max(0, deadline - Date.now()));
    try {
      await Promise.all([watchState(), probe()]);
    } finally {
      clearTimeout(timer);
    }
    if (verdict) return verdict;
    return {
      ok: false,
      why: opts.signal?.aborted
        ? 'the action was cancelled'
        : `not healthy within ${Math.round(opts.timeoutMs / 1000)}s`,
    };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    stop.abort();
    watch?.close();
  }
}
