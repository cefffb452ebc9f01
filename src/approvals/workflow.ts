// The approval workflow of a host in watch/git mode: each change the plan holds for approval
// becomes one pending record per (address, spec hash) with an expiry, announced once through the
// webhook; pending records past their expiry become `expired`. A rejected or expired request is
// never re-requested for the same spec hash. Evaluation of the rules lives in src/plan/approval.ts.

import { randomBytes } from 'node:crypto';
import type { LoadedConfig } from '../config/index.js';
import type { Redactor } from '../plan/redact.js';
import type { Change, Plan } from '../model/resources.js';
import type { ApprovalRecord, StateStore } from '../state/store.js';
import { buildRequest, decisionCommands } from './request.js';

/** Who the workflow acts as in the audit log. */
export const SYSTEM_ACTOR = 'contextforge';
export const DEFAULT_TIMEOUT_HOURS = 48;

export function newApprovalId(): string {
  return `apr-${randomBytes(4).toString('hex')}`;
}

/** Marks pending records past their expiry as expired (with an audit event); returns them. */
export function expireApprovals(store: StateStore, stack: string, now: Date = new Date()): ApprovalRecord[] {
  const out: ApprovalRecord[] = [];
  for (const a of store.listApprovals(stack, 'pending')) {
    if (a.expiresAt > now.toISOString()) continue;
    const done = store.decideApproval(a.id, {
      status: 'expired',
      by: SYSTEM_ACTOR,
      note: `no decision before ${a.expiresAt}`,
    });
    if (!done) continue;
    store.appendEvent({
      stack,
      address: a.address,
      actor: SYSTEM_ACTOR,
      type: 'approval.expired',
      data: { id: a.id, specHash: a.specHash, expiresAt: a.expiresAt },
    });
    out.push(done);
  }
  return out;
}

export interface SyncInput {
  plan: Plan;
  config: LoadedConfig;
  store: StateStore;
  redact: Redactor;
  now?: Date;
  /** Path printed in the decision commands (omitted for the default ./contextforge.yaml). */
  configArg?: string;
}

export interface SyncResult {
  /** Records created in this pass (each one still to be announced). */
  created: ApprovalRecord[];
  expired: ApprovalRecord[];
  /** Changes held for approval, each with the record that stands for it (if any). */
  held: { change: Change; record?: ApprovalRecord }[];
  /** True when every change of the plan is held: applying would only log holds again. */
  onlyHeld: boolean;
}

/** Creates the pending records a plan calls for; see the module comment for the rules. */
export function syncApprovals(input: SyncInput): SyncResult {
  const { plan, config, store } = input;
  const now = input.now ?? new Date();
  const expired = expireApprovals(store, plan.stack, now);
  const existing = store.listApprovals(plan.stack);
  const acting = plan.changes.filter((c) => c.action !== 'noop');
  const needing = acting.filter((c) => c.needsApproval && c.approval && c.desired);
  const hours = config.approval?.timeout_hours ?? DEFAULT_TIMEOUT_HOURS;
  const created: ApprovalRecord[] = [];
  const held: SyncResult['held'] = [];
  for (const change of needing) {
    const d = change.desired!;
    // The newest record for this exact spec stands for it, whatever its status.
    const same = existing.filter((a) => a.address === d.address && a.specHash === d.specHash);
    const standing = same[same.length - 1];
    if (standing) {
      held.push({ change, record: standing });
      continue;
    }
    const request = buildRequest(config, change);
    if (!request) {
      held.push({ change });
      continue;
    }
    const id = newApprovalId();
    const record: ApprovalRecord = {
      id,
      stack: plan.stack,
      address: d.address,
      specHash: d.specHash,
      status: 'pending',
      reasons: change.approval!.reasons,
      approvers: change.approval!.approvers,
      request: JSON.parse(
        input.redact(JSON.stringify({ ...request, commands: decisionCommands(id, input.configArg) })),
      ) as Record<string, unknown>,
      requestedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + hours * 3600_000).toISOString(),
    };
    store.createApproval(record);
    store.appendEvent({
      stack: plan.stack,
      address: d.address,
      actor: SYSTEM_ACTOR,
      type: 'approval.requested',
      data: {
        id,
        specHash: d.specHash,
        reasons: record.reasons,
        approvers: record.approvers,
        expiresAt: record.expiresAt,
        reason: change.approval!.reasons.join('; '),
      },
    });
    created.push(record);
    held.push({ change, record });
  }
  return { created, expired, held, onlyHeld: acting.length > 0 && acting.length === needing.length };
}

/** Records that an approved request reached the backend (closing its audit trail). */
export function recordApprovedApplied(store: StateStore, stack: string, change: Change, runId: number): void {
  const d = change.desired;
  if (!d || !change.approval || change.needsApproval) return;
  const rec = store
    .listApprovals(stack, 'approved')
    .filter((a) => a.address === d.address && a.specHash === d.specHash)
    .pop();
  if (!rec) return;
  store.appendEvent({
    stack,
    address: d.address,
    actor: SYSTEM_ACTOR,
    type: 'approval.applied',
    data: {
      id: rec.id,
      specHash: d.specHash,
      run: runId,
      approvedBy: rec.decidedBy,
      reason: `approved by ${rec.decidedBy ?? '?'}`,
    },
  });
}
