// The live set of upstream sessions: diffs desired specs against running sessions (by name
// and specHash), caches routing tables per view, and tells listeners when lists change.
// It owns session lifecycles; it knows nothing about HTTP or downstream sessions.
import { buildCatalog, viewKey, type Catalog, type View } from './catalog.js';
import { UpstreamSession, type ListKind, type UpstreamDefaults } from './upstream.js';
import type { GatewayLogger, UnpinnedEvent, UpstreamSpec, UpstreamState, UpstreamStatus } from './types.js';
import { unpinnedOf, upstreamLockKey } from './tool-lock.js';
import { bounded, type CallSignal } from './call-signal.js';

export type ChangeListener = (kinds: ListKind[], runtimes: string[]) => void;

export class Federation {
  private readonly sessions = new Map<string, UpstreamSession>();
  private readonly cache = new Map<string, Catalog>();
  private readonly listeners = new Set<ChangeListener>();
  private stopped = false;

  constructor(
    private readonly opts: {
      separator: string;
      defaults: UpstreamDefaults;
      logger: GatewayLogger;
      onStateChange?: (name: string, state: UpstreamState) => void;
      onUnpinned?: (e: UnpinnedEvent) => void;
      resolveUnreachable?: (name: string) => Promise<void>;
    },
  ) {}

  /** Mismatches already reported: `<runtime>\0<kind>\0<key>\0<hash>`, so each is reported once. */
  private readonly reported = new Set<string>();

  onChange(l: ChangeListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  has(name: string): boolean {
    return this.sessions.has(name);
  }

  list(): UpstreamSession[] {
    return [...this.sessions.values()];
  }

  catalog(view: View): Catalog {
    const key = viewKey(view);
    let c = this.cache.get(key);
    if (!c) {
      c = buildCatalog(this.list(), view, this.opts.separator);
      this.cache.set(key, c);
    }
    return c;
  }

  status(): UpstreamStatus[] {
    return this.list()
      .map((s) => {
        const st = s.status();
        const lock = s.spec.lock;
        if (lock) st.lock = { mode: lock.mode, unpinned: [...unpinnedOf(s.catalog, lock).values()] };
        return st;
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Reports each new mismatch of a session's lists with its lock (once per live hash). */
  private checkLock(session: UpstreamSession): void {
    const lock = session.spec.lock;
    if (!lock) return;
    for (const u of unpinnedOf(session.catalog, lock).values()) {
      const key = `${session.name}\0${u.kind}\0${u.key}\0${u.actual}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.opts.onUnpinned?.({ runtime: session.name, mode: lock.mode, ...u });
    }
  }

  /** Resolves when every current upstream has finished its first connection attempt. */
  async settled(): Promise<void> {
    await Promise.all(this.list().map((s) => s.settled()));
  }

  /**
   * Applies a desired set: new names get sessions, missing names are closed, names whose
   * specHash changed are replaced. Unchanged sessions are left alone (no reconnect); one whose
   * lock alone changed takes the new lock in place (its lists are re-filtered, clients told).
   */
  async setUpstreams(specs: UpstreamSpec[]): Promise<void> {
    if (this.stopped) return;
    const desired = new Map<string, UpstreamSpec>();
    for (const s of specs) {
      if (desired.has(s.name)) throw new Error(`Duplicate upstream name '${s.name}' in setUpstreams.`);
      desired.set(s.name, s);
    }
    const closing: Promise<void>[] = [];
    const touched: string[] = [];
    const previous = new Map<string, UpstreamSession>();
    for (const [name, session] of this.sessions) {
      const want = desired.get(name);
      if (!want || want.specHash !== session.spec.specHash) {
        // A replacement lists the same until its new session reports; only removals notify now.
        if (want) previous.set(name, session);
        else touched.push(name);
        this.sessions.delete(name);
        this.opts.logger.info(want ? 'upstream replaced' : 'upstream removed', { runtime: name });
        closing.push(session.close());
      } else if (upstreamLockKey(want.lock) !== upstreamLockKey(session.spec.lock)) {
        session.relock(want.lock);
        this.checkLock(session);
        touched.push(name);
        this.opts.logger.info('upstream lock updated', { runtime: name });
      }
    }
    for (const [name, spec] of desired) {
      if (this.sessions.has(name)) continue;
      const session = new UpstreamSession(spec, this.opts.defaults, {
        logger: this.opts.logger,
        onCatalogChange: (n, kinds) => {
          if (this.sessions.get(n) !== session) return;
          this.checkLock(session);
          this.changed(kinds, [n]);
        },
        onStateChange: (n, state) => this.opts.onStateChange?.(n, state),
        ...(this.opts.resolveUnreachable ? { replacement: (s, ms, signal) => this.replacement(s, ms, signal) } : {}),
      });
      // A replaced upstream keeps listing its last known tools until the new session reports,
      // so clients do not see them vanish and return during a routine replacement.
      const before = previous.get(name);
      if (before) session.catalog = before.catalog;
      // A new lock (the reason for many replacements) is checked against the lists at once.
      this.checkLock(session);
      this.sessions.set(name, session);
      if (!before) touched.push(name);
      this.opts.logger.info('upstream added', { runtime: name, transport: spec.transport });
      session.start();
    }
    // Routes point at session objects, so any replacement invalidates them, notified or not.
    this.cache.clear();
    if (touched.length) this.changed(['tools', 'prompts', 'resources'], touched);
    await Promise.all(closing);
  }

  /**
   * A call could not reach `session`'s upstream: asks the host where the runtime runs now (one
   * lookup, bounded by `ms` and the caller's cancellation) and returns the session that replaced
   * it at a different endpoint once connected, or undefined (the call then fails as it did).
   */
  private async replacement(
    session: UpstreamSession,
    ms: number,
    signal?: CallSignal,
  ): Promise<UpstreamSession | undefined> {
    const deadline = Date.now() + ms;
    const resolve = this.opts.resolveUnreachable;
    if (!resolve || ms <= 0 || this.stopped) return undefined;
    // Replaced meanwhile (a record or an earlier lookup): no need to ask again.
    if (this.sessions.get(session.name) === session) {
      const answered = await bounded(resolve(session.name), ms, signal);
      if (!answered) return undefined;
    }
    const next = this.sessions.get(session.name);
    if (!next || next === session || endpointOf(next.spec) === endpointOf(session.spec)) return undefined;
    return (await next.waitConnected(deadline - Date.now(), signal)) ? next : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = this.list();
    this.sessions.clear();
    this.cache.clear();
    await Promise.all(all.map((s) => s.close()));
  }

  private changed(kinds: ListKind[], runtimes: string[]): void {
    this.cache.clear();
    for (const l of this.listeners) l(kinds, runtimes);
  }
}

/** Where a spec connects: its URL or its stdio target. */
function endpointOf(spec: UpstreamSpec): string {
  return JSON.stringify([spec.transport, spec.url ?? null, spec.stdio?.key ?? null]);
}
