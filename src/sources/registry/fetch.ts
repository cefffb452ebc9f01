// HTTP GET of registry documents with undici: http(s) URLs only, no redirects followed, a bound
// on each request's time and on the body's size, If-None-Match from the cached ETag (a 304 reuses
// the cached body), and retries with backoff on 429, 5xx and network errors (Retry-After
// honoured up to a cap). Knows nothing of registry formats. Writing the retry loop here instead
// of undici's RetryAgent keeps the count of requests observable (the sync reports it).

import { Agent, request } from 'undici';

export interface FetchOptions {
  timeoutMs: number;
  /** Bytes one answer may have; a longer body fails the request. */
  maxBytes: number;
  /** Retries after the first attempt (429, 5xx, network errors, timeouts). */
  retries?: number;
  /** First backoff in ms (doubled per retry); tests shorten it. */
  backoffMs?: number;
  /** Counts every request sent (for `catalog sync` and the benchmark). */
  onRequest?: (status: number | 'error') => void;
  /** Aborting ends the request in flight and any retry wait (a host that stops). */
  signal?: AbortSignal;
}

export type FetchResult =
  { ok: true; status: 200; body: string; etag?: string } | { ok: true; status: 304 } | { ok: false; why: string };

export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const MAX_RETRY_AFTER_MS = 30_000;

let agent: Agent | undefined;
/** One keep-alive agent for every source of a sync: pages of one registry reuse a connection. */
function dispatcher(): Agent {
  agent ??= new Agent({ keepAliveTimeout: 4_000, connections: 8 });
  return agent;
}

/** Closes the shared agent (sockets kept alive would hold the process open). */
export async function closeFetcher(): Promise<void> {
  const a = agent;
  agent = undefined;
  await a?.close();
}

/** The URL without credentials or query, for messages: a token in either never reaches output. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Waits ms, or less when the signal aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  const secs = Number(h);
  if (Number.isFinite(secs)) return Math.min(Math.max(0, secs * 1000), MAX_RETRY_AFTER_MS);
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.min(Math.max(0, at - Date.now()), MAX_RETRY_AFTER_MS) : undefined;
}

async function once(
  url: string,
  etag: string | undefined,
  o: FetchOptions,
): Promise<FetchResult & { retry?: boolean; waitMs?: number }> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([timeout, o.signal]) : timeout;
  let res;
  try {
    res = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}) },
      dispatcher: dispatcher(),
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      signal,
    });
  } catch (e) {
    o.onRequest?.('error');
    if (o.signal?.aborted) return { ok: false, why: 'stopped', retry: false };
    const why = signal.aborted ? `no answer within ${o.timeoutMs} ms` : (e as Error).message;
    return { ok: false, why, retry: true };
  }
  o.onRequest?.(res.statusCode);
  const status = res.statusCode;
  if (status === 304) {
    await res.body.dump();
    return { ok: true, status: 304 };
  }
  if (status !== 200) {
    await res.body.dump().catch(() => undefined);
    const retry = status === 429 || status >= 500;
    return {
      ok: false,
      why: `HTTP ${status}`,
      retry,
      waitMs: retry ? retryAfterMs(res.headers['retry-after']) : undefined,
    };
  }
  const length = Number(res.headers['content-length']);
  if (Number.isFinite(length) && length > o.maxBytes) {
    res.body.destroy();
    return { ok: false, why: `the answer has ${length} bytes, more than the bound of ${o.maxBytes}` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > o.maxBytes) {
        res.body.destroy();
        return { ok: false, why: `the answer is longer than the bound of ${o.maxBytes} bytes` };
      }
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    if (o.signal?.aborted) return { ok: false, why: 'stopped', retry: false };
    const why = signal.aborted ? `the answer did not finish within ${o.timeoutMs} ms` : (e as Error).message;
    return { ok: false, why, retry: true };
  }
  const tag = res.headers.etag;
  return {
    ok: true,
    status: 200,
    body: Buffer.concat(chunks).toString('utf8'),
    ...(typeof tag === 'string' ? { etag: tag } : {}),
  };
}

/** GET with retries; a non-retryable failure or the last retry's failure is returned, never thrown. */
export async function fetchDocument(url: string, etag: string | undefined, o: FetchOptions): Promise<FetchResult> {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, why: 'only http and https URLs are read' };
  const retries = o.retries ?? 3;
  const backoff = o.backoffMs ?? 250;
  for (let attempt = 0; ; attempt++) {
    const r = await once(url, etag, o);
    if (r.ok || !r.retry || attempt >= retries || o.signal?.aborted) {
      if (r.ok) return r;
      return { ok: false, why: attempt > 0 ? `${r.why} (after ${attempt + 1} attempts)` : r.why };
    }
    await sleep(r.waitMs ?? backoff * 2 ** attempt, o.signal);
  }
}
