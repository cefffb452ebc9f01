// A fetch for long-lived upstream client transports. The SDK passes one session-wide
// AbortSignal to every request, and undici keeps a listener on it per request until garbage
// collection, so a busy session piles up thousands of listeners (warnings, O(n) checks).
// Here each request gets its own signal, linked to the session signal only while it runs.
import { setMaxListeners } from 'node:events';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

export function scopedSignalFetch(base: FetchLike = fetch): FetchLike {
  return async (url, init) => {
    const outer = init?.signal;
    if (!outer) return base(url, init);
    // One link per request in flight; concurrency is bounded by the upstream's limiter, so
    // many links at once are expected and not a leak.
    setMaxListeners(0, outer);
    const inner = new AbortController();
    const relay = (): void => inner.abort(outer.reason);
    if (outer.aborted) inner.abort(outer.reason);
    else outer.addEventListener('abort', relay, { once: true });
    const release = (): void => outer.removeEventListener('abort', relay);
    let res: Response;
    try {
      res = await base(url, { ...init, signal: inner.signal });
    } catch (e) {
      release();
      throw e;
    }
    if (!res.body || NULL_BODY_STATUS.has(res.status)) {
      release();
      return res;
    }
    // The link must outlive the headers: closing the session has to cut a streaming body too.
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            release();
            ctrl.close();
          } else ctrl.enqueue(value);
        } catch (e) {
          release();
          ctrl.error(e);
        }
      },
      cancel(reason) {
        release();
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
