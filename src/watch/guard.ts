// The safety gate a watching host (`up`, `watch`) puts in front of every pass, through
// the gate of the one pass (src/reconcile/pass.ts): the file is re-read and must still say what was planned; deletes
// wait until the file has been quiet for --delete-quiet, stay out with --no-prune, need
// --allow-mass-delete above a bound, are logged before they run, and never take data volumes.
// It decides whether this pass may apply; it performs nothing.

import { statSync } from 'node:fs';
import { loadConfig } from '../config/index.js';
import type { PassContext } from '../reconcile/pass.js';
import { summarize } from '../plan/diff.js';

/** Default --delete-quiet: how long the config must be unchanged before a pass may delete. */
export const DEFAULT_DELETE_QUIET_MS = 5_000;
/** Default --max-deletes: more runtimes than this deleted in one pass need --allow-mass-delete. */
export const DEFAULT_MAX_DELETES = 5;

export interface DeleteGuardOptions {
  /** The config file, re-read before applying. */
  path: string;
  strict?: boolean;
  /** Quiet period the file needs before a delete (0: no wait, e.g. a commit checked out by us). */
  deleteQuietMs: number;
  /** How long the watched files have been unchanged. */
  quietForMs: () => number;
  /** False: deletes are never applied by this host (--no-prune). */
  prune: boolean;
  maxDeletes: number;
  allowMassDelete: boolean;
  say: (line: string) => void;
  /** Asks for another pass after ms (when the file will have been quiet long enough). */
  retryIn: (ms: number) => void;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;

export function deleteGuard(o: DeleteGuardOptions): (ctx: PassContext) => Promise<'apply' | 'skip'> {
  /** What --no-prune last reported as kept, so a drift check does not repeat it. */
  let keptNote = '';
  return async (ctx) => {
    // What is applied must be what the file says now: a write that landed while this pass
    // planned makes the plan stale, and the watcher has already asked for the next pass.
    const again = await loadConfig(o.path, { strict: o.strict === true });
    if (!again.value || again.value.fingerprint !== ctx.config.fingerprint) {
      o.say(`${o.path} changed while this pass planned: nothing applied; the new version is planned next.`);
      return 'skip';
    }
    let deletes = ctx.plan.changes.filter((c) => c.action === 'delete');
    if (deletes.length === 0) {
      keptNote = '';
      return 'apply';
    }
    const names = deletes.map((c) => c.address).join(', ');
    if (!o.prune) {
      if (names !== keptNote)
        for (const c of deletes)
          o.say(
            `Kept ${c.address}: it is no longer in the config, but this host does not prune (--no-prune); \`contextforge apply\` removes it.`,
          );
      keptNote = names;
      const rest = ctx.plan.changes.filter((c) => c.action !== 'delete');
      ctx.plan = { ...ctx.plan, changes: rest, summary: summarize(rest) };
      return 'apply';
    }
    if (deletes.length > o.maxDeletes && !o.allowMassDelete) {
      o.say(
        `warning: this pass would delete ${deletes.length} runtimes (${names}), more than --max-deletes ${o.maxDeletes}: nothing applied. ` +
          'If that is intended, run `contextforge apply`, or restart with --allow-mass-delete.',
      );
      return 'skip';
    }
    const quiet = o.quietForMs();
    if (quiet < o.deleteQuietMs) {
      o.say(
        `The plan deletes ${names}: waiting until ${o.path} has been unchanged for ${seconds(o.deleteQuietMs)} ` +
          `(a half-written file must not remove runtimes); nothing applied yet.`,
      );
      o.retryIn(o.deleteQuietMs - quiet + 50);
      return 'skip';
    }
    deletes = deletes.map((c) => {
      c.keepVolumes = true;
      return c;
    });
    for (const c of deletes)
      o.say(
        `Deleting ${c.address}: not in the config, which has been unchanged for ${seconds(quiet)}; its data volumes are kept.`,
      );
    return 'apply';
  };
}

/** Runs hooks in order; the first 'skip' wins. */
export function chainHooks(
  ...hooks: Array<(ctx: PassContext) => 'apply' | 'skip' | Promise<'apply' | 'skip'>>
): (ctx: PassContext) => Promise<'apply' | 'skip'> {
  return async (ctx) => {
    for (const h of hooks) if ((await h(ctx)) === 'skip') return 'skip';
    return 'apply';
  };
}

/** Milliseconds since the newest modification time of files (before a watcher has events). */
export function mtimeQuietMs(files: readonly string[]): number {
  let newest = 0;
  for (const f of files) {
    try {
      newest = Math.max(newest, statSync(f).mtimeMs);
    } catch {
      // Missing: the pass reports it.
    }
  }
  return Math.max(0, Date.now() - newest);
}

/** What a host says when a watched file disappeared (deleted, renamed away, replaced by a directory). */
export function missingNote(missing: readonly string[]): string {
  return (
    `warning: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing or not a regular file: ` +
    'nothing was changed and the last applied state keeps running; watching for it to come back.'
  );
}
