// MCP client helpers for tests, built on the real SDK Client: connect over Streamable HTTP or
// legacy SSE, and wait (bounded) for a server to answer initialize. Callers own the returned
// Client and must close() it, or the test process keeps a socket open and does not exit.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export type McpHttpTransport = 'streamableHttp' | 'sse';

const clientInfo = { name: 'contextforge-tests', version: '0.0.0' };

function toUrl(url: string | URL): URL {
  return typeof url === 'string' ? new URL(url) : url;
}

/** Longest a single connect + initialize may take before it is aborted. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Creates the SDK transport and Client and runs initialize, aborting after `timeoutMs`. The abort
 * matters: Node 20's fetch can wait forever on the first request of a process when the peer
 * closes the connection at once (as docker-proxy does while the container is not yet
 * listening), and closing the transport aborts that fetch.
 */
async function open(
  kind: McpHttpTransport,
  url: string | URL,
  headers: Record<string, string> | undefined,
  timeoutMs: number,
): Promise<Client> {
  // For SSE, requestInit headers are sent on the stream GET as well as on every POSTed message.
  const opts = { requestInit: headers ? { headers } : undefined };
  const transport =
    kind === 'sse' ? new SSEClientTransport(toUrl(url), opts) : new StreamableHTTPClientTransport(toUrl(url), opts);
  const client = new Client(clientInfo);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`connect + initialize took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(transport), timedOut]);
    return client;
  } catch (err) {
    await transport.close().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Connects (initialize + initialized) over Streamable HTTP, e.g. to http://127.0.0.1:PORT/mcp. */
export function connectStreamableHttp(url: string | URL, headers?: Record<string, string>): Promise<Client> {
  return open('streamableHttp', url, headers, CONNECT_TIMEOUT_MS);
}

/** Connects over the legacy HTTP+SSE transport, e.g. to http://127.0.0.1:PORT/sse. */
export function connectSse(url: string | URL, headers?: Record<string, string>): Promise<Client> {
  return open('sse', url, headers, CONNECT_TIMEOUT_MS);
}

export interface WaitForMcpOptions {
  transport?: McpHttpTransport;
  headers?: Record<string, string>;
  /** Pause between attempts; default 200 ms. */
  intervalMs?: number;
}

/**
 * Retries connect + initialize until the server answers or `timeoutMs` has passed, then returns
 * the connected Client (close it when done). On timeout it throws with the last error seen.
 */
export async function waitForMcp(
  url: string | URL,
  timeoutMs: number,
  options: WaitForMcpOptions = {},
): Promise<Client> {
  const kind = options.transport ?? 'streamableHttp';
  const interval = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let lastError: unknown;
  while (true) {
    attempts++;
    // Each attempt is bounded on its own, so one stuck request cannot use up the whole budget.
    const budget = Math.max(Math.min(deadline - Date.now(), 5_000), 1);
    try {
      return await open(kind, url, options.headers, budget);
    } catch (err) {
      lastError = err;
    }
    if (Date.now() + interval >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(
    `MCP server at ${String(url)} did not answer initialize within ${timeoutMs} ms (${attempts} attempts); last error: ${reason}`,
  );
}
