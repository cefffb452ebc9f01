// What a watching host adds to a reconcile pass, through reconcileOnce's hooks: pending approval
// records (and their webhook) for held changes, and `approval.applied` once an approved change
// lands. (`drift.repaired` events come from the engine's recorder, src/apply/record.ts.)

import type { ApplyResult } from '../apply/engine.js';
import { stateLocation } from '../apply/session.js';
import type { PassContext } from '../reconcile/pass.js';
import { decisionCommands } from '../approvals/request.js';
import type { Notifier } from '../approvals/notify.js';
import { expireApprovals, recordApprovedApplied, syncApprovals } from '../approvals/workflow.js';
import type { StateStore } from '../state/store.js';

const DONE = new Set(['created', 'updated', 'deleted', 'unchanged']);

export interface HookDeps {
  notifier: Notifier;
  say: (line: string) => void;
  /** Config path as typed, for the commands printed with a request. */
  configArg?: string;
}

/** gate: creates pending approvals; skips the apply when every change is held anyway. */
export function approvalHook(deps: HookDeps): (ctx: PassContext) => 'apply' | 'skip' {
  return (ctx) => {
    const r = syncApprovals({
      plan: ctx.plan,
      config: ctx.config,
      store: ctx.store,
      redact: ctx.redact,
      configArg: deps.configArg,
    });
    for (const e of r.expired)
      deps.say(`Approval ${e.id} for ${e.address} expired without a decision; the change stays held.`);
    for (const rec of r.created) {
      const cmds = decisionCommands(rec.id, deps.configArg);
      deps.say(
        `${rec.address}: needs approval (${rec.reasons.join('; ')}); pending request ${rec.id}, expires ${rec.expiresAt}.\n` +
          `  Approvers: ${[...new Set(rec.approvers.flat())].join(', ') || 'anyone'}. Decide with: ${cmds.approve}  |  ${cmds.reject}`,
      );
      deps.notifier.notify(rec, ctx.config.approval?.notification?.webhook_url, stateLocation(ctx.config));
    }
    return r.onlyHeld ? 'skip' : 'apply';
  };
}

/** onApplied: an audit event for each approved change that reached a backend. */
export function auditHook(): (ctx: PassContext & { result: ApplyResult }) => void {
  return (ctx) => {
    const byAddress = new Map(ctx.result.results.map((r) => [r.address, r]));
    for (const c of ctx.plan.changes) {
      const r = byAddress.get(c.address);
      if (!r || !DONE.has(r.status)) continue;
      recordApprovedApplied(ctx.store, ctx.plan.stack, c, ctx.result.runId);
    }
  };
}

export interface ApprovalPoller {
  stop(): void;
}

/**
 * Decisions are made by other processes (`contextforge approvals`); a cheap poll of the state
 * store notices a new approval (and expires overdue requests) and asks for a pass right away
 * instead of waiting for the next drift check.
 */
export function pollApprovals(input: {
  /** The store in use now (a host re-opens it when the config moves its state). */
  store: () => StateStore | undefined;
  stack: () => string | undefined;
  onDecided: () => void;
  intervalMs?: number;
}): ApprovalPoller {
  const approved = (store: StateStore, stack: string): string =>
    store
      .listApprovals(stack)
      .filter((a) => a.status === 'approved')
      .map((a) => a.id)
      .join(',');
  const first = input.stack();
  const firstStore = input.store();
  let decided = first && firstStore ? approved(firstStore, first) : '';
  const timer = setInterval(() => {
    const stack = input.stack();
    const store = input.store();
    if (!stack || !store) return;
    try {
      expireApprovals(store, stack);
      const now = approved(store, stack);
      if (now !== decided) {
        decided = now;
        input.onDecided();
      }
    } catch {
      // A busy or failing store is reported by the pass that uses it; polling tries again.
    }
  }, input.intervalMs ?? 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
