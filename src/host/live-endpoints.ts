// The state store is a record of the backend, not the truth about it: a state write that failed
// during a replace leaves the old endpoints recorded while the backend runs the new containers
// on new ports. When an upstream of a Docker-backed runtime goes down (the gateway reports every
// failed attempt, at the pace of its reconnect backoff), this asks the backend where the runtime
// runs now (one label-filtered container list per backend, the Docker backend's own grouping)
// and, when that differs from the record, the host serves the live endpoint and warns once per
// runtime and recorded endpoint that the state is behind (`contextforge plan` shows it, `apply`
// records it). Resolves are coalesced and backed off (1 s doubling to 60 s while they find
// nothing new), so a runtime that is simply down never turns into a poll of the daemon.
// While an apply holds the stack lock the live endpoint is served at once, but the warning waits
// until the lock is released (apply records the endpoint itself in the normal case).

import type Dockerode from 'dockerode';
import { hostname } from 'node:os';
import type { DockerBackend } from '../generated/config.js';
import type { Endpoint } from '../model/resources.js';
import type { LockHolder, RuntimeRecord } from '../state/store.js';
import { pidAlive } from '../state/sqlite.js';

export interface LiveEndpointOptions {
  stack: () => string;
  /** The Docker client and settings of a docker backend; undefined for other backends. */
  backend: (name: string) => { docker: Dockerode; config: DockerBackend } | undefined;
  /** The stack lock's holder, if any (an apply in progress). */
  lockHolder: () => LockHolder | undefined;
  /** The live endpoints changed what should be served: rebuild the upstream set (settles once applied). */
  onChange: () => void | Promise<void>;
  warn: (line: string) => void;
  debug?: (line: string) => void;
  /** First delay between resolves; doubles up to maxMs while they find nothing new. */
  initialMs?: number;
  maxMs?: number;
}

export interface LiveEndpoints {
  /** An upstream of `runtime` failed to connect or was lost. */
  upstreamDown(runtime: string): void;
  /**
   * A call could not reach `runtime`: look now (a call waits on it, so no backoff; concurrent
   * callers share one lookup) and settle once any changed upstream set has been applied.
   */
  resolveNow(runtime: string): Promise<void>;
  /** The records with the live endpoint where the backend runs a runtime elsewhere. */
  overlay(records: readonly RuntimeRecord[]): RuntimeRecord[];
  /** How many backend lists were made (for tests and logs). */
  readonly resolves: number;
  stop(): void;
}

interface Override {
  /** The recorded endpoint it replaces; a new record drops the override. */
  recorded: string;
  endpoint: Endpoint;
  specHash?: string;
}

const keyOf = (e: Endpoint | undefined): string => JSON.stringify(e ?? null);

/** An endpoint as an operator reads it. */
function shown(e: Endpoint | undefined): string {
  if (!e) return 'no endpoint';
  if (e.url) return e.url;
  if (e.attach?.kind === 'docker') return `container ${e.attach.containerId.slice(0, 12)}`;
  if (e.attach?.kind === 'process') return `socket ${e.attach.socketPath}`;
  return e.transport;
}

export function liveEndpointResolver(options: LiveEndpointOptions): LiveEndpoints {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const overrides = new Map<string, Override>();
  const warned = new Set<string>();
  const pending = new Set<string>();
  let records: readonly RuntimeRecord[] = [];
  let delay = initial;
  let nextAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  /** The run in progress, and the one queued after it for callers that came during it. */
  let current: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let warnTimer: NodeJS.Timeout | undefined;
  let warnDelay = initial;
  /** The lock is one SQLite read, not a Docker call: look again every few seconds at most. */
  const maxWarnDelay = Math.min(max, 5000);
  let stopped = false;
  let resolves = 0;

  const applyRunning = (): boolean => {
    let h: LockHolder | undefined;
    try {
      h = options.lockHolder();
    } catch {
      return false;
    }
    // A holder that died on this host holds nothing (the next apply takes the lock over).
    return h !== undefined && (h.host !== hostname() || pidAlive(h.pid));
  };

  const warnPending = (): void => {
    if (stopped) return;
    const due = [...overrides].filter(([runtime, o]) => !warned.has(`${runtime}\0${o.recorded}`));
    if (due.length === 0) return;
    if (applyRunning()) {
      // The apply will most likely record the endpoint itself; look again later.
      if (!warnTimer) {
        warnTimer = setTimeout(() => {
          warnTimer = undefined;
          warnPending();
        }, warnDelay);
        warnTimer.unref();
        warnDelay = Math.min(maxWarnDelay, warnDelay * 2);
      }
      return;
    }
    warnDelay = initial;
    for (const [runtime, o] of due) {
      warned.add(`${runtime}\0${o.recorded}`);
      const recorded = records.find((r) => r.runtime === runtime)?.endpoint;
      options.warn(
        `runtime.${runtime}: the state records ${shown(recorded)} but the Docker backend runs it at ${shown(o.endpoint)}: ` +
          'the state is behind the backend (a state write failed?). The gateway serves the live endpoint; ' +
          'run `contextforge plan` to see the difference and `contextforge apply` to record it.',
      );
    }
  };

  const schedule = (): void => {
    if (stopped || timer || running || pending.size === 0) return;
    timer = setTimeout(() => void start(), Math.max(0, nextAt - Date.now()));
    timer.unref();
  };

  const start = (): Promise<void> => {
    clearTimeout(timer);
    current = run().finally(() => (current = undefined));
    return current;
  };

  /** A run that begins after `runtime` was added: the next one if a run is in progress. */
  const runSoon = (): Promise<void> => {
    if (!current) return start();
    queued ??= current
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return current ?? start();
      });
    return queued;
  };

  const run = async (): Promise<void> => {
    timer = undefined;
    running = true;
    const wanted = [...pending];
    pending.clear();
    let changed = false;
    try {
      const byBackend = new Map<string, RuntimeRecord[]>();
      for (const runtime of wanted) {
        const r = records.find((x) => x.runtime === runtime);
        if (!r || r.backendType !== 'docker') continue;
        byBackend.set(r.backend, [...(byBackend.get(r.backend) ?? []), r]);
      }
      if (byBackend.size > 0) {
        const { liveEndpoints } = await import('../backends/docker/index.js');
        for (const [name, recs] of byBackend) {
          const b = options.backend(name);
          if (!b) continue;
          resolves += 1;
          let live;
          try {
            live = await liveEndpoints(b.docker, name, b.config, options.stack());
          } catch (err) {
            options.debug?.(`resolving live endpoints on backend ${name} failed: ${(err as Error).message}`);
            continue;
          }
          for (const r of recs) {
            const found = live.find((l) => l.runtime === r.runtime);
            if (!found) continue;
            const before = overrides.get(r.runtime);
            if (keyOf(found.endpoint) === keyOf(r.endpoint)) {
              if (before) {
                overrides.delete(r.runtime);
                changed = true;
              }
              continue;
            }
            if (before && before.recorded === keyOf(r.endpoint) && keyOf(before.endpoint) === keyOf(found.endpoint))
              continue;
            overrides.set(r.runtime, {
              recorded: keyOf(r.endpoint),
              endpoint: found.endpoint,
              specHash: found.specHash,
            });
            changed = true;
          }
        }
      }
    } finally {
      running = false;
    }
    delay = changed ? initial : Math.min(max, delay * 2);
    nextAt = Date.now() + delay;
    if (stopped) return;
    if (changed) await options.onChange();
    warnPending();
    schedule();
  };

  return {
    get resolves() {
      return resolves;
    },
    upstreamDown(runtime) {
      if (stopped) return;
      const r = records.find((x) => x.runtime === runtime);
      if (!r || r.backendType !== 'docker') return;
      pending.add(runtime);
      schedule();
    },
    resolveNow(runtime) {
      if (stopped) return Promise.resolve();
      const r = records.find((x) => x.runtime === runtime);
      if (!r || r.backendType !== 'docker') return Promise.resolve();
      pending.add(runtime);
      return runSoon();
    },
    overlay(next) {
      records = next;
      const out = next.map((r) => {
        const o = overrides.get(r.runtime);
        if (!o) return r;
        // The record changed (an apply recorded something new): it is the truth again.
        if (keyOf(r.endpoint) !== o.recorded) {
          overrides.delete(r.runtime);
          return r;
        }
        return { ...r, endpoint: o.endpoint, ...(o.specHash ? { specHash: o.specHash } : {}) };
      });
      warnPending();
      return out;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(warnTimer);
    },
  };
}
