// Watches the files a config was loaded from and reports settled content changes: it watches
// their directories (chokidar), not the files, so deletes, renames, atomic saves (write then
// rename) and a file replaced by a directory and back are all seen; it re-arms when a directory
// itself is swapped; it says which files are missing; and it tells how long the files have been
// quiet, which a host uses before it lets a pass delete anything. It decides nothing about configs.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface ConfigChange {
  /** Files of the set that are missing or not regular files (empty when all are readable). */
  missing: string[];
}

export interface ConfigWatchOptions {
  files: readonly string[];
  /** Called after the content of the watched files changed and stayed unchanged for debounceMs. */
  onChange: (change: ConfigChange) => void | Promise<void>;
  /** The quiet period after the last write event before a change is reported (default 200 ms). */
  debounceMs?: number;
  /** How often directories are checked for having been swapped (default 1000 ms). */
  rearmMs?: number;
  onError?: (err: Error) => void;
}

export interface ConfigWatcher {
  /** Replaces the watched set (a reload may add or drop included files). */
  setFiles(files: readonly string[]): void;
  /** Milliseconds since the last write event or modification time of any watched file. */
  quietForMs(): number;
  /**
   * The host itself just wrote this watched file (a catalog source's synced copy) and acts on it
   * on its own: its current content is the new baseline, so the write is not reported as a
   * change. Other files keep their baseline, so a save of the config meanwhile still counts.
   */
  acknowledge(file: string): void;
  close(): Promise<void>;
  /** Resolves once the initial scan finished and events are being delivered. */
  ready: Promise<void>;
}

function fileDigest(f: string): string {
  const h = createHash('sha256');
  try {
    h.update(readFileSync(f));
  } catch (err) {
    h.update(`(${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  return h.digest('hex');
}

/** Each file's content digest, by path. */
function digest(files: readonly string[]): Map<string, string> {
  return new Map([...files].map((f) => [f, fileDigest(f)]));
}

function sameDigest(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([f, d]) => b.get(f) === d);
}

function isFile(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

/** A directory's identity: a swapped directory (rename over it) has a new inode. */
function dirId(d: string): string {
  try {
    const s = statSync(d);
    return `${s.dev}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

export function watchConfig(options: ConfigWatchOptions): ConfigWatcher {
  let files = new Set(options.files);
  let last = digest([...files]);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let lastEventAt = 0;
  const debounceMs = options.debounceMs ?? 200;
  const dirsOf = (set: Set<string>): Set<string> => new Set([...set].map((f) => dirname(f)));
  let dirs = dirsOf(files);
  let ids = new Map([...dirs].map((d) => [d, dirId(d)]));

  const fire = (): void => {
    lastEventAt = Date.now();
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (closed) return;
      const now = digest([...files]);
      if (sameDigest(now, last)) return;
      last = now;
      const missing = [...files].filter((f) => !isFile(f));
      void Promise.resolve(options.onChange({ missing })).catch((e: Error) => options.onError?.(e));
    }, debounceMs);
  };

  // Only the watched files (and their directories) pass the filter: the state database beside
  // the config, editor swap files and everything else in the directory raise no events.
  const arm = (): FSWatcher => {
    const w = watch([...dirs], {
      ignoreInitial: true,
      depth: 0,
      atomic: true,
      ignored: (p: string) => !files.has(p) && !dirs.has(p),
    });
    w.on('all', (_event, p) => {
      if (files.has(p) || dirs.has(p)) fire();
    });
    w.on('error', (e) => options.onError?.(e as Error));
    return w;
  };
  let watcher = arm();
  const ready = new Promise<void>((r) => watcher.once('ready', () => r()));

  // A directory renamed away and replaced (a checkout tool, a config-map style swap) leaves the
  // old watch on a dead inode: notice the new identity and watch again.
  const rearmTimer = setInterval(() => {
    if (closed) return;
    let swapped = false;
    for (const d of dirs) {
      const id = dirId(d);
      if (id !== ids.get(d)) {
        ids.set(d, id);
        swapped = true;
      }
    }
    if (!swapped) return;
    const old = watcher;
    watcher = arm();
    void old.close();
    fire();
  }, options.rearmMs ?? 1000);
  rearmTimer.unref();

  return {
    ready,
    setFiles(next: readonly string[]): void {
      const set = new Set(next);
      const same = set.size === files.size && [...set].every((f) => files.has(f));
      if (same) return;
      files = set;
      const nextDirs = dirsOf(files);
      const gone = [...dirs].filter((d) => !nextDirs.has(d));
      const added = [...nextDirs].filter((d) => !dirs.has(d));
      dirs = nextDirs;
      ids = new Map([...dirs].map((d) => [d, dirId(d)]));
      if (gone.length) watcher.unwatch(gone);
      if (added.length) watcher.add(added);
      // Only a different file set needs a new baseline; otherwise a save made meanwhile counts.
      last = digest([...files]);
    },
    acknowledge(file: string): void {
      if (files.has(file)) last.set(file, fileDigest(file));
    },
    quietForMs(): number {
      let newest = lastEventAt;
      for (const f of files) {
        try {
          newest = Math.max(newest, statSync(f).mtimeMs);
        } catch {
          // Missing: its removal raised an event, which counts.
        }
      }
      return Math.max(0, Date.now() - newest);
    },
    async close(): Promise<void> {
      closed = true;
      if (timer) clearTimeout(timer);
      clearInterval(rearmTimer);
      await watcher.close();
    },
  };
}
