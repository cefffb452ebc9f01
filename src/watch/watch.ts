// `contextforge watch`: a host that reconciles on every save of the config (or every new commit
// of a git branch), repairs drift on an interval, and runs the approval workflow. Triggers feed
// the one reconcile loop (loop.ts) that `up` uses too; each pass is reconcileOnce with the watch
// hooks. Stopping lets the pass in flight finish; the lock is only held during a pass.

import { join, relative, resolve } from 'node:path';
import { stateLocation } from '../apply/session.js';
import { createNotifier } from '../approvals/notify.js';
import type { LoadedConfig } from '../config/index.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import { watchConfig, type ConfigWatcher } from '../host/config-watch.js';
import { reconcileOnce, type ReconcileResult } from '../reconcile/once.js';
import { createWarningGate } from '../host/warning-gate.js';
import { locationKey, openStore, type OpenedStore } from '../state/open.js';
import { displayUrl, openGitSync, scrubGitMessage, type CommitInfo, type GitSync } from './git-sync.js';
import { createReconcileLoop, type Trigger } from './loop.js';
import {
  chainHooks,
  deleteGuard,
  DEFAULT_DELETE_QUIET_MS,
  DEFAULT_MAX_DELETES,
  missingNote,
  mtimeQuietMs,
} from './guard.js';
import { approvalHook, auditHook, pollApprovals } from './passes.js';
import { startCatalogRefresh, type CatalogRefresh } from './catalog-refresh.js';

export interface WatchGitOptions {
  url: string;
  branch: string;
  /** Directory of the config inside the repository (default: its root). */
  path?: string;
  intervalMs: number;
}

export interface WatchOptions {
  /** Config file (plain mode), or its name inside `git.path` (git mode; default contextforge.yaml). */
  file?: string;
  git?: WatchGitOptions;
  /** Drift reconciliation interval. */
  intervalMs: number;
  debounceMs?: number;
  /** How often decisions made by `contextforge approvals` are looked for (default 1 s). */
  approvalPollMs?: number;
  strict?: boolean;
  /** Working directory for relative paths and the git clone (default process.cwd()). */
  cwd?: string;
  say: (text: string) => void;
  report: (diags: readonly Diagnostic[], sensitive: Iterable<string>) => void;
  color?: boolean;
  /** Aborting stops the watch: the pass in flight finishes, then runWatch resolves. */
  signal: AbortSignal;
  /** Webhook retry tuning (tests shorten it). */
  webhook?: { attempts?: number; baseDelayMs?: number };
  /** Backoff of retries after a failed apply (default 2 s doubling to 5 min; tests shorten it). */
  retry?: { initialMs: number; maxMs: number };
  /** How long the config must be unchanged before a pass may delete (default 5 s). */
  deleteQuietMs?: number;
  /** False: never delete runtimes that left the config (--no-prune). */
  prune?: boolean;
  /** Deletes of more runtimes than this in one pass need allowMassDelete (default 5). */
  maxDeletes?: number;
  allowMassDelete?: boolean;
}

/** Runs until the signal aborts. Exit code: 0 after a clean stop, 1 when it could not start. */
export async function runWatch(options: WatchOptions): Promise<number> {
  const cwd = options.cwd ?? process.cwd();
  const say = options.say;
  let git: GitSync | undefined;
  let path: string;
  if (options.git) {
    say(`Cloning ${displayUrl(options.git.url)} (branch ${options.git.branch})...`);
    try {
      git = await openGitSync({ url: options.git.url, branch: options.git.branch, baseDir: cwd });
    } catch (err) {
      options.report(
        [
          {
            severity: 'error',
            code: 'git.clone-failed',
            summary: `cloning ${displayUrl(options.git.url)} failed: ${scrubGitMessage((err as Error).message, options.git.url).split('\n')[0]}`,
            detail: 'Check the URL, the branch name and your credentials (a token in the URL or an SSH agent).',
          },
        ],
        [],
      );
      return 1;
    }
    path = join(git.dir, options.git.path ?? '.', options.file ?? 'contextforge.yaml');
  } else {
    path = resolve(cwd, options.file ?? 'contextforge.yaml');
  }
  const configArg = options.git ? path : options.file;

  let store: OpenedStore | undefined;
  let storeKey: string | undefined;
  let stack: string | undefined;
  let config: LoadedConfig | undefined;
  let watcher: ConfigWatcher | undefined;
  let catalogs: CatalogRefresh | undefined;
  const notifier = createNotifier({ log: (l) => say(l), ...(options.webhook ?? {}) });
  let applied: CommitInfo | undefined;
  /** Plain mode: the file on disk is invalid; drift checks wait for the next save. */
  let invalid = false;
  let rejectedSha: string | undefined;

  /** Keeps one long-lived store on the current config's state file (approval polling, git events). */
  const adopt = (c: LoadedConfig): void => {
    config = c;
    const want = stateLocation(c);
    if (!store || storeKey !== locationKey(want)) {
      store?.close();
      store = openStore(want);
      storeKey = locationKey(want);
    }
    stack = c.stack;
    watcher?.setFiles(c.files);
    // A new sync_interval or source takes effect at once.
    catalogs?.reschedule();
  };

  let settle: NodeJS.Timeout | undefined;
  const cancelSettle = (): void => {
    if (settle) clearTimeout(settle);
    settle = undefined;
  };
  const guard = deleteGuard({
    path,
    strict: options.strict,
    // A commit checked out by this host is complete: only a local file can be half-written.
    deleteQuietMs: git ? 0 : (options.deleteQuietMs ?? DEFAULT_DELETE_QUIET_MS),
    quietForMs: () => (watcher ? watcher.quietForMs() : mtimeQuietMs(config?.files ?? [path])),
    prune: options.prune !== false,
    maxDeletes: options.maxDeletes ?? DEFAULT_MAX_DELETES,
    allowMassDelete: options.allowMassDelete === true,
    say,
    retryIn: (ms) => {
      cancelSettle();
      settle = setTimeout(() => loop.trigger('settle'), ms);
    },
  });

  const warnings = createWarningGate();
  const reconcile = (quiet: boolean, meta?: Record<string, unknown>): Promise<ReconcileResult> =>
    reconcileOnce({
      warnings,
      path,
      strict: options.strict,
      signal: options.signal,
      say,
      report: options.report,
      color: options.color,
      kind: 'reconcile',
      quiet,
      meta,
      gate: chainHooks(guard, approvalHook({ notifier, say, configArg })),
      onApplied: auditHook(),
    });

  /** Git mode: apply the branch head when it moved; an invalid commit is reported and skipped. */
  const gitPass = async (): Promise<boolean> => {
    let head: CommitInfo;
    try {
      head = await git!.fetchHead();
    } catch (err) {
      say(
        `warning: fetching ${displayUrl(options.git!.url)} failed: ${scrubGitMessage((err as Error).message, options.git!.url).split('\n')[0]}; retrying in ${Math.round(options.git!.intervalMs / 1000)}s`,
      );
      return false;
    }
    if (head.sha === applied?.sha || head.sha === rejectedSha) return false;
    say(`\nNew commit ${head.sha.slice(0, 12)} on ${options.git!.branch} by ${head.author}: ${head.subject}`);
    await git!.checkout(head.sha);
    const meta = {
      git: {
        commit: head.sha,
        author: head.author,
        subject: head.subject,
        branch: options.git!.branch,
        url: displayUrl(options.git!.url),
      },
    };
    const r = await reconcile(false, meta);
    if (!r.config) {
      rejectedSha = head.sha;
      store?.appendEvent({
        stack: stack!,
        actor: head.author,
        type: 'git.commit-invalid',
        data: {
          commit: head.sha,
          author: head.author,
          subject: head.subject,
          reason: `commit ${head.sha.slice(0, 12)} has an invalid config; skipped`,
        },
      });
      if (applied) {
        await git!.checkout(applied.sha);
        say(
          `Commit ${head.sha.slice(0, 12)} is not valid: skipped. Commit ${applied.sha.slice(0, 12)} stays applied; push a fix.`,
        );
      } else {
        say(`Commit ${head.sha.slice(0, 12)} is not valid and nothing was applied yet; waiting for a fix.`);
      }
      return true;
    }
    adopt(r.config);
    applied = head;
    rejectedSha = undefined;
    store!.appendEvent({
      stack: r.config.stack,
      actor: head.author,
      type: r.exitCode === 1 ? 'git.apply-failed' : 'git.applied',
      data: {
        commit: head.sha,
        author: head.author,
        subject: head.subject,
        branch: options.git!.branch,
        ...(r.apply ? { run: r.apply.runId } : {}),
        reason: `${head.sha.slice(0, 12)} ${head.subject}`,
      },
    });
    if (r.exitCode !== 1) say(`Commit ${head.sha.slice(0, 12)} applied.`);
    return true;
  };

  const pass = async (triggers: ReadonlySet<Trigger>): Promise<void | 'failed'> => {
    if (git && (triggers.has('git') || triggers.has('start'))) {
      const moved = await gitPass();
      // A fetch that found nothing new is not a drift check; a new commit was just reconciled.
      const others = [...triggers].filter((t) => t !== 'git' && t !== 'start');
      if (others.length === 0 || (moved && !triggers.has('approval'))) return;
    }
    // Without a valid git commit there is nothing to reconcile against yet.
    if (git && !applied) return;
    const quiet =
      !triggers.has('config') && !triggers.has('start') && !triggers.has('approval') && !triggers.has('catalog');
    // Re-reporting the same broken file on every tick helps nobody; the next save is planned.
    if (!git && invalid && quiet) return;
    if (triggers.has('config')) say(`\nConfig changed: re-planning ${path}`);
    const meta = applied
      ? { git: { commit: applied.sha, author: applied.author, subject: applied.subject, branch: options.git!.branch } }
      : undefined;
    const r = await reconcile(quiet, meta);
    if (!r.config) {
      invalid = !git;
      say(
        'The config is not valid: nothing was changed; the last applied state keeps running. Fix it and save again' +
          (git ? '.' : ' (drift checks resume with the next valid save).'),
      );
      return;
    }
    invalid = false;
    adopt(r.config);
    // A runtime that did not start (or any failed action) is tried again, with backoff.
    return r.exitCode === 1 ? 'failed' : undefined;
  };

  const loop = createReconcileLoop({
    pass,
    onError: (e) => say(`error: unexpected failure in a reconcile pass: ${e.message}`),
    onRetry: (ms) => say(`The apply did not complete: retrying in ${Math.round(ms / 1000)}s.`),
    retry: options.retry,
  });
  const timers: NodeJS.Timeout[] = [];
  let stopApprovals = (): void => undefined;
  try {
    say(
      `contextforge watch: ${git ? `${displayUrl(options.git!.url)}#${options.git!.branch} (${relative(git.dir, path)})` : path}`,
    );
    loop.trigger('start');
    await loop.idle();
    if (options.signal.aborted) return 0;
    if (!config && !git) {
      // The first load failed: keep watching the file itself so that a fix is picked up.
      say('Waiting for a valid config...');
    }
    if (!git) {
      watcher = watchConfig({
        files: config?.files ?? [path],
        debounceMs: options.debounceMs,
        onChange: ({ missing }) => {
          // A newer version supersedes a pass that waited for the old one to settle.
          cancelSettle();
          if (missing.length) say(missingNote(missing));
          else loop.trigger('config');
        },
        onError: (e) => say(`warning: watching the config failed: ${e.message}`),
      });
      await watcher.ready;
    }
    timers.push(setInterval(() => loop.trigger('drift'), options.intervalMs));
    if (git) timers.push(setInterval(() => loop.trigger('git'), options.git!.intervalMs));
    // catalog_sources with a sync_interval are synced (pin: false) or checked (pinned) while we run.
    catalogs = startCatalogRefresh({
      path,
      say,
      report: (diags) => options.report(diags, config?.sensitiveValues ?? []),
      written: (f) => watcher?.acknowledge(f),
      onChanged: () => loop.trigger('catalog'),
      record: (type, data) => {
        if (store && stack) store.appendEvent({ stack, actor: 'catalog-sync', type, data });
      },
    });
    // Decisions made with `contextforge approvals` run a pass at once.
    const approvals = pollApprovals({
      store: () => store,
      stack: () => stack,
      onDecided: () => loop.trigger('approval'),
      intervalMs: options.approvalPollMs,
    });
    stopApprovals = () => approvals.stop();

    say(
      `Watching ${git ? `branch ${options.git!.branch} every ${Math.round(options.git!.intervalMs / 1000)}s` : `${config?.files.length ?? 1} file(s)`}; ` +
        `drift check every ${Math.round(options.intervalMs / 1000)}s. Press Ctrl-C to stop (servers keep running).`,
    );
    if (git) say(`State and status: contextforge status -f ${path}`);
    await new Promise<void>((r) =>
      options.signal.aborted ? r() : options.signal.addEventListener('abort', () => r(), { once: true }),
    );
    say('Stopping: finishing the action in flight...');
    return 0;
  } finally {
    for (const t of timers) clearInterval(t);
    stopApprovals();
    cancelSettle();
    await catalogs?.stop();
    await watcher?.close();
    await loop.stop();
    await notifier.drain(true);
    store?.close();
    say('Stopped; the lock is released and servers keep running.');
  }
}
