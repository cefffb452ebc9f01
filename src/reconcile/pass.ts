// The one reconcile pass that apply, destroy, up and watch share: lock → plan (or check a saved
// plan against a fresh one) → gate (a confirmation prompt, the approval workflow) → apply →
// record → summary. Verbs differ only in the options and callbacks they pass; nothing here
// reads flags, prompts or touches process signals. Output goes through PassOutput, redacted.

import { applyPlan, type ApplyResult } from '../apply/engine.js';
import { takeLock } from '../apply/lock.js';
import { recordNoop } from '../apply/record.js';
import { checkSavedPlan } from '../apply/saved-plan.js';
import type { Session } from '../apply/session.js';
import { parseDurationMs, type LoadedConfig } from '../config/index.js';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import type { PlanDocument } from '../generated/plan.js';
import type { DesiredResource, Plan } from '../model/resources.js';
import { hasChanges } from '../plan/diff.js';
import type { Redactor } from '../plan/redact.js';
import { renderText } from '../plan/render-text.js';
import { planStack } from '../plan/stack.js';
import { addSurfaces } from '../plan/stack-surfaces.js';
import type { RunKind, StateStore } from '../state/store.js';
import { summaryLines } from './summary.js';

/** Where a pass prints: stdout lines (progress, plan, summary) and diagnostics. */
export interface PassOutput {
  /** One line or block of stdout; already redacted by the pass. */
  say(text: string): void;
  /** Diagnostics, with the values to redact from them. */
  report(diags: readonly Diagnostic[], sensitive: Iterable<string>): void;
  color?: boolean;
  /** Plans list every field of a created runtime (`--verbose`). */
  verbose?: boolean;
  /**
   * Long-running hosts: true when this rendered plan is the one printed last, so the pass prints
   * it without the warnings already shown with it (host/warning-gate.ts).
   */
  repeated?: (plan: string) => boolean;
}

/** What a gate and the onApplied hook see: the plan of this pass, inside the lock. */
export interface PassContext {
  /** A gate may replace it with a narrower plan (a host that does not prune drops its deletes). */
  plan: Plan;
  /** The compiled resources the plan was made from. */
  desired: readonly DesiredResource[];
  config: LoadedConfig;
  store: StateStore;
  redact: Redactor;
  /** Prints the plan (once; later calls do nothing). A pass prints it itself after the gate. */
  showPlan(): void;
}

/** A gate's word: go on, apply nothing this pass (not an error), or stop with an error. */
export type GateDecision = 'apply' | 'skip' | 'cancel';

export interface PassOptions {
  session: Session;
  out: PassOutput;
  /** Remove every runtime of the stack (destroy, `up --down-on-exit`). */
  destroy?: boolean;
  /** Deletes remove the data volumes too (`destroy --delete-volumes`); kept by default. */
  deleteVolumes?: boolean;
  /** Run kind recorded in history (default apply, or destroy). */
  kind?: RunKind;
  strict?: boolean;
  targets?: readonly string[];
  /**
   * `apply FILE`: the saved plan's targets are used, and it must match the fresh plan; `replan`
   * is the command a refusal suggests (with the -f of the plan's config).
   */
  saved?: { doc: PlanDocument; file: string; replan?: string };
  /** How long to wait for the stack lock (resolveLockTimeout). */
  lockTimeoutMs: number;
  parallelism?: number;
  actionTimeoutMs?: number;
  approvedBy?: readonly string[];
  /** Aborting lets running actions finish and starts no new ones. */
  signal?: AbortSignal;
  meta?: Record<string, unknown>;
  /**
   * A periodic drift check: a plan without changes prints nothing and records refreshed noops
   * without starting a run, so an idle host does not fill the history.
   */
  quiet?: boolean;
  /**
   * Compare the plan's artifacts with contextforge.lock and show changed tool surfaces (apply;
   * `discover: false` starts no sandbox). Not for destroy.
   */
  surfaces?: { discover: boolean };
  /** Print the plan even when it has no changes (the verbs a person runs once). */
  showUnchanged?: boolean;
  /** Sees the plan before anything is applied (confirmation, approval requests). */
  gate?: (ctx: PassContext) => GateDecision | Promise<GateDecision>;
  /** Sees the apply result before the lock is released. */
  onApplied?: (ctx: PassContext & { result: ApplyResult }) => void | Promise<void>;
}

export interface PassResult {
  /** 0 applied or nothing to do, 1 error, 3 changes held for approval. */
  exitCode: 0 | 1 | 3;
  changed: boolean;
  plan?: Plan;
  apply?: ApplyResult;
  /** The closing lines printed (summaryLines), for the verbs that add hints after them. */
  summary: string[];
  /** True when the gate said skip, or a quiet pass found nothing to do. */
  skipped?: boolean;
}

/** The lock timeout of a pass: the flag, else state.lock_timeout, else 30 s; one parser for all verbs. */
export function resolveLockTimeout(flag: string | number | undefined, config: LoadedConfig): number | Diagnostic {
  const v = flag ?? config.state?.lock_timeout;
  if (v === undefined) return 30_000;
  const ms = parseDurationMs(v);
  if (ms !== undefined) return ms;
  return error('cli.bad-flag', `--lock-timeout ${v} is not a duration; use e.g. 30s, 5m or a number of seconds`);
}

export async function runPass(options: PassOptions): Promise<PassResult> {
  const { session, out } = options;
  const { config, store } = session;
  const sensitive = config.sensitiveValues;
  const say = (text: string): void => out.say(session.redact(text));
  const lock = await takeLock({
    store,
    stack: config.stack,
    operation: options.destroy ? 'destroy' : 'apply',
    timeoutMs: options.lockTimeoutMs,
    note: say,
  });
  if (!lock.release) {
    out.report([lock.diag!], sensitive);
    return { exitCode: 1, changed: false, summary: [] };
  }
  try {
    const targets = options.saved?.doc.targets?.length ? options.saved.doc.targets : options.targets;
    const planned = await planStack({
      config,
      backends: session.backends,
      store,
      targets,
      strict: options.strict,
      destroy: options.destroy,
      deleteVolumes: options.deleteVolumes,
    });
    if (!planned.plan) {
      out.report(planned.diags, sensitive);
      return { exitCode: 1, changed: false, summary: [] };
    }
    const planned0 = planned.plan;
    if (options.surfaces && !options.destroy) {
      const diags = await addSurfaces({
        config,
        plan: planned0,
        desired: planned.desired,
        discover: options.surfaces.discover,
      });
      if (diags.length) out.report(diags, sensitive);
    }
    if (options.saved) {
      const refusals = checkSavedPlan(options.saved.doc, planned0, options.saved.file, options.saved.replan);
      if (refusals.length) {
        out.report(refusals, sensitive);
        return { exitCode: 1, changed: false, plan: planned0, summary: [] };
      }
    }
    if (!hasChanges(planned0) && options.quiet) {
      for (const c of planned0.changes) if (c.action === 'noop') recordNoop(store, config.stack, c);
      return { exitCode: 0, changed: false, plan: planned0, summary: [], skipped: true };
    }

    // A saved plan was reviewed when it was made; it is not printed again.
    let shown = Boolean(options.saved);
    let saidNoChanges = false;
    const ctx: PassContext = {
      plan: planned0,
      desired: planned.desired,
      config,
      store,
      redact: session.redact,
      showPlan: () => {
        const p = ctx.plan;
        if (shown || (!hasChanges(p) && !options.showUnchanged)) return;
        shown = true;
        saidNoChanges = !hasChanges(p);
        const how = { redact: session.redact, color: out.color ?? false, verbose: out.verbose };
        const text = renderText(p, how);
        out.say(out.repeated?.(text) ? renderText(p, { ...how, warnings: false }) : text);
      },
    };
    const decision = (await options.gate?.(ctx)) ?? 'apply';
    if (decision === 'skip') return { exitCode: 0, changed: false, plan: ctx.plan, summary: [], skipped: true };
    if (decision === 'cancel') {
      out.report([error('apply.cancelled', `${options.destroy ? 'Destroy' : 'Apply'} cancelled`)], sensitive);
      return { exitCode: 1, changed: false, plan: ctx.plan, summary: [] };
    }
    // The gate may have narrowed the plan; what it left is what is applied.
    const plan = ctx.plan;
    const changed = hasChanges(plan);
    ctx.showPlan();
    if (changed) say('');

    // Without changes the engine still runs: it records refreshed noops (endpoints may move).
    const result = await applyPlan({
      plan,
      backends: session.backends,
      store,
      parallelism: options.parallelism,
      actionTimeoutMs: options.actionTimeoutMs,
      approvedBy: options.approvedBy,
      onProgress: say,
      redact: session.redact,
      kind: options.destroy ? 'destroy' : (options.kind ?? 'apply'),
      signal: options.signal,
      meta: options.meta,
    });
    await options.onApplied?.({ ...ctx, result });
    if (result.diags.length) out.report(result.diags, sensitive);
    const summary = summaryLines({ plan, result, destroy: options.destroy, changed });
    // The rendered plan already said "No changes."; the summary does not say it twice.
    const printed = saidNoChanges && result.exitCode === 0 ? summary.slice(1) : summary;
    if (printed.length) say(`\n${printed.join('\n')}`);
    return { exitCode: result.exitCode, changed, plan, apply: result, summary };
  } finally {
    lock.release();
  }
}
