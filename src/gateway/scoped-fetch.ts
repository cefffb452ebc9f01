// A fetch for long-lived upstream client transports. The SDK passes one session-wide
// AbortSignal to every request, and undici keeps a listener on it per request until garbage
// collection, so a busy session piles up thousands of listeners (warnings, O(n) checks).
// Here each request gets its own signal; the session signal carries one listener in all.
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/** Request controllers linked to one session signal, held weakly. */
interface Links {
  refs: Set<WeakRef<AbortController>>;
  /** Size at which the next sweep of collected entries runs. */
  sweepAt: number;
}

export function scopedSignalFetch(base: FetchLike = fetch): FetchLike {
  const linked = new WeakMap<AbortSignal, Links>();
  const linksFor = (outer: AbortSignal): Links => {
    let links = linked.get(outer);
    if (!links) {
      const created: Links = { refs: new Set(), sweepAt: 64 };
      // One listener per session signal. Aborting it aborts every request still reachable:
      // in flight, or with a response body still referenced; a finished request's controller
      // is collected and its entry drops out at the next sweep.
      outer.addEventListener(
        'abort',
        () => {
          for (const ref of created.refs) ref.deref()?.abort(outer.reason);
          created.refs.clear();
        },
        { once: true },
      );
      linked.set(outer, created);
      links = created;
    }
    return links;
  };
  return (url, init) => {
    const outer = init?.signal;
    if (!outer) return base(url, init);
    const inner = new AbortController();
    if (outer.aborted) inner.abort(outer.reason);
    else {
      const links = linksFor(outer);
      links.refs.add(new WeakRef(inner));
      // Sweeping only when the set doubled keeps the cost per request constant.
      if (links.refs.size >= links.sweepAt) {
        for (const ref of links.refs) if (ref.deref() === undefined) links.refs.delete(ref);
        links.sweepAt = Math.max(64, links.refs.size * 2);
      }
    }
    return base(url, { ...init, signal: inner.signal }).then((res) => {
      // The body stream holds its controller, so a body still being read (a stream whose
      // reader the SDK keeps) keeps its controller reachable for the session abort above.
      if (res.body) Object.defineProperty(res.body, HOLD, { value: inner });
      return res;
    });
  };
}

const HOLD = Symbol('contextforge.requestController');
