// Follows the state store and keeps the gateway's upstream set equal to what is recorded as
// running: polls the store's change counter (SQLite data_version, cheap) and rebuilds only when
// another writer committed; refresh() forces a rebuild (after an in-process apply). A store that
// fails (locked, its -wal file deleted, a PostgreSQL server gone) is retried with backoff on a
// fresh connection, and health() says so for /readyz; the gateway keeps serving meanwhile.

import type { StateStore } from '../state/store.js';
import type { RuntimeRecord } from '../state/store.js';
import { upstreamLockKey, type UpstreamSpec } from '../gateway/index.js';

export interface FollowOptions {
  store: StateStore;
  /** Opens a fresh connection to the same store (after a failure); without it the same one is retried. */
  reopen?: () => StateStore;
  stack: () => string;
  build: (records: RuntimeRecord[]) => UpstreamSpec[];
  apply: (specs: UpstreamSpec[]) => Promise<void>;
  /** Another input of the build besides the store (the lock file's stamp): a change rebuilds. */
  stamp?: () => string;
  /** Poll interval of the change counter; default 1000 ms. */
  intervalMs?: number;
  /** First retry delay after a failure (doubles up to maxRetryMs); default intervalMs. */
  retryMs?: number;
  maxRetryMs?: number;
  onError?: (err: Error) => void;
  /** The store answers again after failing. */
  onRecovered?: () => void;
}

export interface FollowHealth {
  ok: boolean;
  /** The last failure, while failing. */
  lastError?: string;
  failures: number;
  /** When the next attempt is due (ms since epoch), while failing. */
  retryAt?: number;
}

export interface StateFollower {
  /** Rebuilds and applies the upstream set now (serialised with the poller). */
  refresh(): Promise<void>;
  health(): FollowHealth;
  stop(): void;
}

export function followState(options: FollowOptions): StateFollower {
  let store = options.store;
  let lastVersion = -1;
  let lastStamp: string | undefined;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  let lastKey: string | undefined;
  let failures = 0;
  let lastError: string | undefined;
  let retryAt = 0;
  const interval = options.intervalMs ?? 1000;
  const firstRetry = options.retryMs ?? interval;
  const maxRetry = options.maxRetryMs ?? 30_000;

  const fail = (err: Error): void => {
    failures += 1;
    // One line per distinct failure, not one per retry.
    if (err.message !== lastError) options.onError?.(err);
    lastError = err.message;
    retryAt = Date.now() + Math.min(maxRetry, firstRetry * 2 ** (failures - 1));
  };

  const rebuild = (force: boolean): Promise<void> => {
    chain = chain.then(async () => {
      if (stopped) return;
      if (failures > 0) {
        if (!force && Date.now() < retryAt) return;
        if (options.reopen) {
          // A fresh connection: the old one may hold a deleted -wal file or a dead socket.
          try {
            const fresh = options.reopen();
            const old = store;
            store = fresh;
            if (old !== options.store) {
              try {
                old.close();
              } catch {
                // Already broken; nothing to release.
              }
            }
          } catch (err) {
            fail(err as Error);
            return;
          }
        }
        force = true;
      }
      let specs: UpstreamSpec[];
      try {
        const v = store.version();
        const stamp = options.stamp?.();
        if (!force && v === lastVersion && stamp === lastStamp) return;
        lastVersion = v;
        lastStamp = stamp;
        specs = options.build(store.listRuntimes(options.stack()));
        if (failures > 0) {
          failures = 0;
          lastError = undefined;
          options.onRecovered?.();
        }
        // Same upstream identities and locks as last time: nothing to tell the gateway.
        const key = specs.map((s) => `${s.name}\0${s.specHash}\0${upstreamLockKey(s.lock)}`).join('\n');
        if (key === lastKey) return;
        lastKey = key;
      } catch (err) {
        fail(err as Error);
        return;
      }
      try {
        await options.apply(specs!);
      } catch (err) {
        options.onError?.(err as Error);
      }
    });
    return chain;
  };

  const timer = setInterval(() => void rebuild(false), interval);
  timer.unref();
  return {
    refresh: () => rebuild(true),
    health: () => (failures > 0 ? { ok: false, lastError, failures, retryAt } : { ok: true, failures: 0 }),
    stop() {
      stopped = true;
      clearInterval(timer);
      if (store !== options.store) {
        try {
          store.close();
        } catch {
          // Broken already.
        }
      }
    },
  };
}
