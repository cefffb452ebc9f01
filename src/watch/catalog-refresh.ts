// The periodic sync of catalog_sources in long-running hosts (`watch` and `up`): each source is
// checked once its copy is older than its sync_interval, one round at a time, on a timer the host
// clears when it stops. A `pin: false` source is synced in place (the code of `catalog sync`) and
// a changed copy asks the host for a reconcile pass. A pinned source is only fetched and compared
// with the lock (or, without a lock, the copy): its copy is never written here, because the host
// would adopt it without the reviewed plan the lock exists for; a change is reported once.

import { readCatalogSources, parseDurationMs, catalogCachePath } from '../config/index.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import { redact, redactValue } from '../diag/redact.js';
import type { CatalogSource } from '../generated/config.js';
import { catalogChanges, catalogChangeText, pinOf, type CatalogPin } from '../lock/catalog.js';
import { lockPathFor, readLock } from '../lock/file.js';
import { hashOf } from '../model/canonical.js';
import type { CatalogPinChange } from '../model/resources.js';
import { closeFetcher } from '../sources/registry/fetch.js';
import { readSyncedCopy, syncCatalogSources } from '../sources/registry/sync.js';

export interface CatalogRefreshOptions {
  /** The config file; its catalog_sources are read afresh for every round. */
  path: string;
  /** One line of the host's output (redacted here first). */
  say(line: string): void;
  /** Diagnostics of a sync (a registry that cannot be read, an entry skipped). */
  report(diags: readonly Diagnostic[]): void;
  /**
   * This host just wrote a source's copy (a watched file of the config): the host's file watcher
   * takes it as its new baseline, since onChanged (or nothing, when the entries are the same)
   * is the host's answer to it.
   */
  written?(file: string): void;
  /** The copies of these `pin: false` sources changed: run a reconcile pass. */
  onChanged(sources: readonly string[]): void;
  /** An audit event for the state store of the host's current config (redacted here first). */
  record?(type: string, data: Record<string, unknown>): void;
  /** First retry backoff of a request (tests shorten it). */
  backoffMs?: number;
}

export interface CatalogRefresh {
  /** Re-reads the sources (the config changed) and sets the timer for the next due one. */
  reschedule(): void;
  /** Clears the timer, ends a round in flight (its requests aborted) and waits for it. */
  stop(): Promise<void>;
}

/** A source's entries as the lock pins them: slug → registry name, version, content hash. */
function pinsOf(source: string, entries: readonly unknown[]): Record<string, CatalogPin> {
  const out: Record<string, CatalogPin> = {};
  for (const e of entries as { slug?: string; registry?: { name: string; version?: string; hash: string } }[]) {
    const r = e.registry;
    if (!e.slug || !r) continue;
    out[e.slug] = pinOf(source, r);
  }
  return out;
}

/** The longest delay setTimeout takes (about 24.8 days); a longer interval is waited in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function startCatalogRefresh(options: CatalogRefreshOptions): CatalogRefresh {
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let stopped = false;
  const abort = new AbortController();
  /** When each source was last checked by this host (a pinned copy keeps its old synced_at). */
  const checkedAt = new Map<string, number>();
  /** The change set last reported per pinned source, so that each distinct change is said once. */
  const reported = new Map<string, string>();
  const say = (line: string): void => options.say(redact(line));
  const record = (type: string, data: Record<string, unknown>): void => {
    try {
      options.record?.(type, redactValue(data));
    } catch {
      // A busy store must not stop the host; the line above was printed either way.
    }
  };

  const read = (): ReturnType<typeof readCatalogSources> | undefined => {
    const r = readCatalogSources(options.path);
    // An invalid config is reported by the reconcile pass; the next valid save reschedules.
    return r.diags.some((d) => d.severity === 'error') ? undefined : r;
  };

  /** When a source is due: its copy's age (or this host's last check) plus its interval. */
  const dueAt = (src: CatalogSource, dir: string): number | undefined => {
    const interval = src.sync_interval === undefined ? undefined : parseDurationMs(src.sync_interval);
    if (interval === undefined) return undefined;
    const synced = Date.parse(readSyncedCopy(dir, src.name)?.synced_at ?? '');
    const last = Math.max(Number.isFinite(synced) ? synced : 0, checkedAt.get(src.name) ?? 0);
    return last + Math.max(interval, 1000);
  };

  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (stopped || round) return;
    const cfg = read();
    if (!cfg) return;
    const due = cfg.sources.map((s) => dueAt(s, cfg.dir)).filter((t): t is number => t !== undefined);
    if (due.length === 0) return;
    const wait = Math.min(Math.max(0, Math.min(...due) - Date.now()), MAX_TIMER_MS);
    timer = setTimeout(() => {
      timer = undefined;
      round = runRound()
        // A bug (or a disk that refuses the copy) is said, never thrown: the host keeps running.
        .catch((e: Error) => say(`warning: the periodic catalog sync failed: ${e.message}; trying again later`))
        .finally(() => {
          round = undefined;
          schedule();
        });
    }, wait);
  };

  const runRound = async (): Promise<void> => {
    const cfg = read();
    if (!cfg) return;
    const now = Date.now();
    const due = cfg.sources.filter((s) => (dueAt(s, cfg.dir) ?? Infinity) <= now);
    const changed: string[] = [];
    for (const src of due) {
      if (stopped) return;
      const pinned = src.pin !== false;
      const previous = readSyncedCopy(cfg.dir, src.name);
      const beforeHash = previous ? hashOf(previous.entries) : undefined;
      const [r] = await syncCatalogSources({
        configDir: cfg.dir,
        sources: [src],
        confinement: cfg.confinement,
        signal: abort.signal,
        backoffMs: options.backoffMs,
        write: !pinned,
      });
      checkedAt.set(src.name, Date.now());
      if (!pinned && r?.outcome === 'synced') options.written?.(catalogCachePath(cfg.dir, src.name));
      if (stopped || !r) return;
      const problems = r.diags.filter((d) => d.severity !== 'info');
      if (r.outcome !== 'synced') {
        // The registry is down (or never answered): the copy stays, the next interval tries again.
        options.report(problems.map((d) => ({ ...d, severity: 'warning' as const })));
        continue;
      }
      if (!pinned) {
        const after = readSyncedCopy(cfg.dir, src.name);
        // The same entries (every page 304, or new pages that import the same): nothing to do.
        if (!after || hashOf(after.entries) === beforeHash) continue;
        const diff = catalogChanges(pinsOf(src.name, previous?.entries ?? []), pinsOf(src.name, after.entries), true);
        const lines = diff.map(catalogChangeText);
        say(
          `Catalog source ${src.name} (pin: false) changed upstream: synced ${after.entries.length} entries` +
            `${lines.length ? ` (${lines.join('; ')})` : ''}; re-planning.`,
        );
        if (problems.length) options.report(problems);
        record('catalog.synced', {
          source: src.name,
          entries: after.entries.length,
          changes: diff,
          reason: `catalog source ${src.name} synced by the host: ${lines.length || 'its'} entr${lines.length === 1 ? 'y' : 'ies'} changed`,
        });
        changed.push(src.name);
        continue;
      }
      comparePinned(src, cfg.dir, r.fetched ?? [], previous?.entries);
    }
    if (changed.length && !stopped) options.onChanged(changed);
  };

  /** A pinned source: the fetched entries against the lock's pins (or the copy without a lock). */
  const comparePinned = (src: CatalogSource, dir: string, fetched: readonly unknown[], copy?: unknown[]): void => {
    const lock = readLock(lockPathFor(options.path));
    // Never synced and never locked: the config's load already says so; nothing to compare.
    if (!lock.value && !copy) return;
    const base = lock.value
      ? Object.fromEntries(Object.entries(lock.value.catalog ?? {}).filter(([, p]) => p.source === src.name))
      : pinsOf(src.name, copy ?? []);
    const diff: CatalogPinChange[] = catalogChanges(base, pinsOf(src.name, fetched), true);
    if (diff.length === 0) {
      // Back in step (reviewed and locked, or reverted upstream): a later change is news again.
      reported.delete(src.name);
      return;
    }
    const key = hashOf(diff);
    if (reported.get(src.name) === key) return;
    reported.set(src.name, key);
    const since = lock.value ? 'the lock' : 'the synced copy';
    const short = diff.map((c) =>
      c.change === 'changed'
        ? `${c.slug} ${c.before?.version ?? c.before?.hash.slice(7, 19)} → ${c.after?.version ?? c.after?.hash.slice(7, 19)}`
        : `${c.slug} ${c.change}`,
    );
    say(
      `warning: catalog source ${src.name}: ${diff.length} entr${diff.length === 1 ? 'y' : 'ies'} changed upstream since ${since} ` +
        `(${short.join(', ')}); the host keeps running the pinned entries. ` +
        `Run \`contextforge catalog sync\` and review the plan.`,
    );
    record('catalog.upstream-changed', {
      source: src.name,
      changes: diff,
      reason: `catalog source ${src.name}: ${diff.length} entr${diff.length === 1 ? 'y' : 'ies'} changed upstream since ${since}, not applied (pinned)`,
    });
  };

  schedule();
  return {
    reschedule: schedule,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      abort.abort();
      await round;
      await closeFetcher();
    },
  };
}
