// Follows the state store and keeps the gateway's upstream set equal to what is recorded as
// running: polls the store's change counter (SQLite data_version, cheap) and rebuilds only when
// another writer committed; refresh() forces a rebuild (after an in-process apply).

import type { StateStore } from '../state/store.js';
import type { RuntimeRecord } from '../state/store.js';
import type { UpstreamSpec } from '../gateway/index.js';

export interface FollowOptions {
  store: StateStore;
  stack: () => string;
  build: (records: RuntimeRecord[]) => UpstreamSpec[];
  apply: (specs: UpstreamSpec[]) => Promise<void>;
  /** Another input of the build besides the store (the lock file's stamp): a change rebuilds. */
  stamp?: () => string;
  /** Poll interval of the change counter; default 1000 ms. */
  intervalMs?: number;
  onError?: (err: Error) => void;
}

export interface StateFollower {
  /** Rebuilds and applies the upstream set now (serialised with the poller). */
  refresh(): Promise<void>;
  stop(): void;
}

export function followState(options: FollowOptions): StateFollower {
  let lastVersion = -1;
  let lastStamp: string | undefined;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  let lastKey: string | undefined;

  const rebuild = (force: boolean): Promise<void> => {
    chain = chain.then(async () => {
      if (stopped) return;
      try {
        const v = options.store.version();
        const stamp = options.stamp?.();
        if (!force && v === lastVersion && stamp === lastStamp) return;
        lastVersion = v;
        lastStamp = stamp;
        const specs = options.build(options.store.listRuntimes(options.stack()));
        // Same upstream identities as last time: nothing to tell the gateway.
        const key = specs.map((s) => `${s.name}\0${s.specHash}`).join('\n');
        if (key === lastKey) return;
        lastKey = key;
        await options.apply(specs);
      } catch (err) {
        options.onError?.(err as Error);
      }
    });
    return chain;
  };

  const timer = setInterval(() => void rebuild(false), options.intervalMs ?? 1000);
  timer.unref();
  return {
    refresh: () => rebuild(true),
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
