// Watches the files a config was loaded from (chokidar), debounces bursts of events (editors
// write in several steps) and reports only real content changes. Small on purpose: `up` uses it
// as is; `watch` (git sync, drift timers) builds on it.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';

export interface ConfigWatchOptions {
  files: readonly string[];
  /** Called after the content of the watched files changed and settled for debounceMs. */
  onChange: () => void | Promise<void>;
  debounceMs?: number;
  onError?: (err: Error) => void;
}

export interface ConfigWatcher {
  /** Replaces the watched set (a reload may add or drop included files). */
  setFiles(files: readonly string[]): void;
  close(): Promise<void>;
  /** Resolves once the initial scan finished and events are being delivered. */
  ready: Promise<void>;
}

function digest(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort()) {
    h.update(f).update('\0');
    try {
      h.update(readFileSync(f));
    } catch {
      h.update('(missing)');
    }
    h.update('\0');
  }
  return h.digest('hex');
}

export function watchConfig(options: ConfigWatchOptions): ConfigWatcher {
  let files = [...new Set(options.files)];
  let last = digest(files);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const debounceMs = options.debounceMs ?? 200;
  const watcher: FSWatcher = watch(files, { ignoreInitial: true, awaitWriteFinish: false, atomic: true });

  const fire = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (closed) return;
      const now = digest(files);
      if (now === last) return;
      last = now;
      void Promise.resolve(options.onChange()).catch((e: Error) => options.onError?.(e));
    }, debounceMs);
  };
  watcher.on('all', fire);
  watcher.on('error', (e) => options.onError?.(e as Error));
  const ready = new Promise<void>((r) => watcher.once('ready', () => r()));

  return {
    ready,
    setFiles(next: readonly string[]): void {
      const set = [...new Set(next)];
      const gone = files.filter((f) => !set.includes(f));
      const added = set.filter((f) => !files.includes(f));
      if (gone.length) watcher.unwatch(gone);
      if (added.length) watcher.add(added);
      files = set;
      // Only a different file set needs a new baseline; otherwise a save made meanwhile counts.
      if (gone.length || added.length) last = digest(files);
    },
    async close(): Promise<void> {
      closed = true;
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}
