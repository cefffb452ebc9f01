// Deciding approval requests (`contextforge approvals approve|reject`): checks that the request
// is still pending and that the named approver may decide it, records the decision and writes
// it to the audit log. The next reconcile of a watching host applies approved changes.

import { error, type Diagnostic } from '../diag/diagnostic.js';
import { approvalSatisfied } from '../plan/approval.js';
import type { ApprovalRecord, StateStore } from '../state/store.js';
import { expireApprovals } from './workflow.js';

export interface DecideInput {
  store: StateStore;
  stack: string;
  id: string;
  decision: 'approved' | 'rejected';
  by: string[];
  reason?: string;
  /**
   * Who is recorded as deciding, when it is not `by` itself: the console records the
   * authenticated principal's name (and `principal`, how it was recognized), while `by` holds
   * every identity the rules are matched against (the user, its JWT subject and groups).
   */
  actor?: { name: string; principal: string; via: string };
}

export function decide(input: DecideInput): { value?: ApprovalRecord; diags: Diagnostic[] } {
  const { store, stack, id } = input;
  expireApprovals(store, stack);
  const rec = store.getApproval(id);
  if (!rec || rec.stack !== stack) {
    const pending = store.listApprovals(stack, 'pending').map((a) => a.id);
    return {
      diags: [
        error('approval.not-found', `no approval request ${id} in stack ${stack}`, {
          detail: pending.length
            ? `Pending requests: ${pending.join(', ')}.`
            : 'There are no pending requests; `contextforge approvals list --all` shows decided ones.',
        }),
      ],
    };
  }
  if (rec.status !== 'pending') {
    return {
      diags: [
        error(
          'approval.already-decided',
          `approval request ${id} is already ${rec.status}${rec.decidedBy ? ` (by ${rec.decidedBy}${rec.decidedAt ? ` at ${rec.decidedAt}` : ''})` : ''}`,
          {
            detail:
              'A decided request cannot change. Change the runtime in the config to request again, or apply with --approved-by in CI.',
          },
        ),
      ],
    };
  }
  if (input.decision === 'rejected' && !input.reason?.trim()) {
    return {
      diags: [
        error('approval.reason-required', 'rejecting needs a reason', {
          detail: 'Pass --reason "<why>"; the requester sees it.',
        }),
      ],
    };
  }
  if (!approvalSatisfied({ reasons: rec.reasons, approvers: rec.approvers }, input.by)) {
    const need = rec.approvers.map((l) => (l.length ? `one of ${l.join(', ')}` : 'anyone')).join(' and ');
    return {
      diags: [
        error(
          'approval.not-an-approver',
          `${input.by.join(', ') || '(nobody)'} may not decide approval request ${id}`,
          { detail: `It needs ${need}. Pass --by <approver> (comma-separated for several rules).` },
        ),
      ],
    };
  }
  const by = input.actor?.name ?? input.by.join(',');
  const done = store.decideApproval(id, { status: input.decision, by, note: input.reason });
  if (!done)
    return {
      diags: [
        error('approval.already-decided', `approval request ${id} was decided meanwhile`, {
          detail: 'Run `contextforge approvals show` to see the decision.',
        }),
      ],
    };
  store.appendEvent({
    stack,
    address: rec.address,
    actor: by,
    type: `approval.${input.decision}`,
    data: {
      id,
      specHash: rec.specHash,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.actor ? { principal: input.actor.principal, via: input.actor.via } : {}),
    },
  });
  return { value: done, diags: [] };
}
