// One reconcile pass for long-running hosts (`up` and `watch`, driven by src/watch/loop.ts): load
// and validate the config, take the stack lock, plan, apply auto-approved, release. An invalid
// config is reported and nothing is touched; what already runs keeps running. Printing goes
// through the callbacks; watch adds approvals, drift events and git metadata through the hooks.

import { applyPlan, type ApplyResult } from '../apply/engine.js';
import { planStack } from '../plan/stack.js';
import { recordNoop } from '../apply/record.js';
import { takeLock } from '../apply/lock.js';
import { openSession } from '../apply/session.js';
import { type LoadedConfig, parseDuration } from '../config/index.js';
import { hasErrors, type Diagnostic } from '../diag/diagnostic.js';
import { hasChanges } from '../plan/diff.js';
import type { Redactor } from '../plan/redact.js';
import { renderText } from '../plan/render-text.js';
import type { Plan } from '../model/resources.js';
import type { RunKind, StateStore } from '../state/store.js';
import type { WarningGate } from './warning-gate.js';

/** What the hooks see: the plan of this pass and the open session, inside the lock. */
export interface PassContext {
  /** onPlan may replace it with a narrower plan (e.g. without deletes); the rest is applied. */
  plan: Plan;
  config: LoadedConfig;
  store: StateStore;
  redact: Redactor;
}

export interface ReconcileOptions {
  path: string;
  strict?: boolean;
  /** Remove every runtime of the stack instead (`up --down-on-exit`). */
  destroy?: boolean;
  /** Aborting lets running actions finish and starts no new ones. */
  signal?: AbortSignal;
  /** Progress and plan lines (stdout). */
  say: (text: string) => void;
  /** Diagnostics, with the values to redact from them. */
  report: (diags: readonly Diagnostic[], sensitive: Iterable<string>) => void;
  color?: boolean;
  lockTimeoutMs?: number;
  /** Run kind recorded in history (default apply; watch records reconcile). */
  kind?: RunKind;
  /** Extra run metadata, e.g. the git commit and author in git mode. */
  meta?: Record<string, unknown>;
  /**
   * A periodic drift check: a plan without changes prints nothing and records refreshed noops
   * without starting a run, so an idle host does not fill the history.
   */
  quiet?: boolean;
  /** Sees the plan before anything is applied; 'skip' applies nothing this pass. */
  onPlan?: (ctx: PassContext) => 'apply' | 'skip' | Promise<'apply' | 'skip'>;
  /** Long-running hosts: each warning is printed once per version of the config. */
  warnings?: WarningGate;
  /** Sees the apply result before the lock is released. */
  onApplied?: (ctx: PassContext & { result: ApplyResult }) => void | Promise<void>;
}

export interface ReconcileResult {
  /** The config that was applied (undefined when it did not load). */
  config?: LoadedConfig;
  /** 0 applied or nothing to do, 1 error, 3 changes held for approval. */
  exitCode: 0 | 1 | 3;
  changed: boolean;
  apply?: ApplyResult;
  plan?: Plan;
  /** True when onPlan vetoed applying. */
  skipped?: boolean;
}

export async function reconcileOnce(options: ReconcileOptions): Promise<ReconcileResult> {
  const opened = await openSession({ path: options.path, strict: options.strict });
  if (!opened.session || hasErrors(opened.diags)) {
    options.report(opened.diags, opened.sensitive);
    await opened.session?.close();
    return { exitCode: 1, changed: false };
  }
  const session = opened.session;
  const { config, store } = session;
  const loaded = opened.diags.filter((d) => d.severity !== 'error');
  const warnings = options.warnings ? options.warnings.admit(config.fingerprint, loaded) : loaded;
  if (warnings.length) options.report(warnings, opened.sensitive);
  const say = (line: string): void => options.say(session.redact(line));
  const lockTimeoutMs = options.lockTimeoutMs ?? (parseDuration(config.state?.lock_timeout) ?? 30) * 1000;
  const lock = await takeLock({
    store,
    stack: config.stack,
    operation: options.destroy ? 'destroy' : 'apply',
    timeoutMs: lockTimeoutMs,
    note: say,
  });
  if (!lock.release) {
    options.report([lock.diag!], opened.sensitive);
    await session.close();
    return { config, exitCode: 1, changed: false };
  }
  try {
    const planned = await planStack({
      config,
      backends: session.backends,
      store,
      strict: options.strict,
      destroy: options.destroy,
    });
    if (!planned.plan) {
      options.report(planned.diags, opened.sensitive);
      return { config, exitCode: 1, changed: false };
    }
    const ctx: PassContext = { plan: planned.plan, config, store, redact: session.redact };
    const kind: RunKind = options.destroy ? 'destroy' : (options.kind ?? 'apply');
    if (!hasChanges(ctx.plan) && options.quiet) {
      for (const c of ctx.plan.changes) if (c.action === 'noop') recordNoop(store, config.stack, c);
      return { config, exitCode: 0, changed: false, plan: ctx.plan };
    }
    if ((await options.onPlan?.(ctx)) === 'skip')
      return { config, exitCode: 0, changed: false, plan: ctx.plan, skipped: true };
    // The hook may have narrowed the plan (a host that does not prune drops its deletes).
    const plan = ctx.plan;
    if (!hasChanges(plan)) {
      say(options.destroy ? 'Nothing to destroy.' : 'No changes. The live state matches the configuration.');
      // Still record refreshed noops (endpoints may have moved) through the engine.
      const result = await applyPlan({
        plan,
        backends: session.backends,
        store,
        onProgress: say,
        redact: session.redact,
        kind,
        meta: options.meta,
        signal: options.signal,
      });
      await options.onApplied?.({ ...ctx, result });
      if (result.diags.length) options.report(result.diags, opened.sensitive);
      return { config, exitCode: result.exitCode, changed: false, apply: result, plan };
    }
    options.say(renderText(plan, { redact: session.redact, color: options.color ?? false }));
    const result = await applyPlan({
      plan,
      backends: session.backends,
      store,
      onProgress: say,
      redact: session.redact,
      kind,
      meta: options.meta,
      signal: options.signal,
    });
    await options.onApplied?.({ ...ctx, result });
    if (result.diags.length) options.report(result.diags, opened.sensitive);
    const counts: Record<string, number> = {};
    for (const r of result.results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    if (result.exitCode === 1) {
      say(
        `Apply failed: ${(counts.failed ?? 0) + (counts.skipped ?? 0)} of ${result.results.length} actions did not complete; what runs keeps running` +
          (result.diags.some((d) => d.code === 'state.write-failed')
            ? '; the state store could not record every outcome, and the next pass records what runs.'
            : '.'),
      );
    } else if (options.destroy) {
      say(`Destroy complete! Resources: ${counts.deleted ?? 0} destroyed.`);
    } else {
      say(
        `Apply complete! Resources: ${counts.created ?? 0} created, ${counts.updated ?? 0} updated, ${counts.deleted ?? 0} destroyed.`,
      );
    }
    if (result.held.length) say(`${result.held.length} change(s) held for approval: ${result.held.join(', ')}`);
    return { config, exitCode: result.exitCode, changed: true, apply: result, plan };
  } finally {
    lock.release();
    await session.close();
  }
}
