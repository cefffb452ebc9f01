// The approval routes of the console API: the queue, one request, and decisions. A decision is
// made by the authenticated principal (never a name the client declares): it needs the approver
// role, and the request's rules must name the user or one of its JWT groups. The audit log
// records the principal; the watching host applies an approved change on its next pass.

import { decide } from '../approvals/decide.js';
import { expireApprovals } from '../approvals/workflow.js';
import { approvalSatisfied } from '../plan/approval.js';
import type { ApprovalRecord, ApprovalStatus } from '../state/store.js';
import type { ConsoleContext } from './context.js';
import { hasRole, type Identity } from './roles.js';
import { ApiError, type ApiRequest, type Route } from './route.js';

function canDecide(a: ApprovalRecord, who: Identity): boolean {
  return a.status === 'pending' && hasRole(who, 'approver') && approvalSatisfied(a, who.identities);
}

function view(a: ApprovalRecord, who: Identity): Record<string, unknown> {
  const { stack: _s, ...rest } = a;
  return { ...rest, canDecide: canDecide(a, who) };
}

function find(ctx: ConsoleContext, id: string): ApprovalRecord {
  const a = ctx.store.getApproval(id);
  if (!a || a.stack !== ctx.config.stack)
    throw new ApiError(404, 'approval.not-found', `No approval request ${id} in stack ${ctx.config.stack}.`);
  return a;
}

const STATUSES: ApprovalStatus[] = ['pending', 'approved', 'rejected', 'expired'];

function decision(kind: 'approved' | 'rejected') {
  return async ({ ctx, params, body, who }: ApiRequest) => {
    const rec = find(ctx, params.id);
    if (!approvalSatisfied(rec, who.identities))
      throw new ApiError(
        403,
        'approval.not-an-approver',
        `${who.name} may not decide approval request ${rec.id}.`,
        `It needs ${rec.approvers.map((l) => (l.length ? `one of ${l.join(', ')}` : 'anyone')).join(' and ')}.`,
      );
    const reason = (body as { reason?: string } | undefined)?.reason;
    const r = decide({
      store: ctx.store,
      stack: ctx.config.stack,
      id: rec.id,
      decision: kind,
      by: who.identities,
      reason,
      actor: { name: who.name, principal: who.principal, via: 'console' },
    });
    if (!r.value) {
      const d = r.diags[0];
      const status = d?.code === 'approval.reason-required' ? 400 : 409;
      throw new ApiError(
        status,
        d?.code ?? 'approval.failed',
        d?.summary ?? 'The decision was not recorded.',
        d?.detail,
      );
    }
    return { body: view(r.value, who) };
  };
}

export const approvalRoutes: Route[] = [
  {
    method: 'GET',
    path: '/whoami',
    operationId: 'whoami',
    summary: 'The caller as the console sees it: principal, name, roles.',
    tag: 'identity',
    role: 'viewer',
    response: 'Identity',
    async handle({ who }) {
      return { body: who };
    },
  },
  {
    method: 'GET',
    path: '/approvals',
    operationId: 'listApprovals',
    summary: 'Approval requests of the stack (pending ones by default), each with whether the caller may decide it.',
    tag: 'approvals',
    role: 'viewer',
    query: [
      {
        name: 'status',
        description: 'pending (default), approved, rejected, expired or all.',
        schema: { enum: [...STATUSES, 'all'] },
      },
    ],
    response: 'ApprovalList',
    async handle({ ctx, query, who }) {
      const s = query.get('status') ?? 'pending';
      if (s !== 'all' && !(STATUSES as string[]).includes(s))
        throw new ApiError(400, 'request.bad-parameter', `Unknown status ${s}.`, `Use ${STATUSES.join(', ')} or all.`);
      expireApprovals(ctx.store, ctx.config.stack);
      const list = ctx.store.listApprovals(ctx.config.stack, s === 'all' ? undefined : (s as ApprovalStatus));
      return { body: { approvals: list.map((a) => view(a, who)) } };
    },
  },
  {
    method: 'GET',
    path: '/approvals/{id}',
    operationId: 'getApproval',
    summary: 'One approval request.',
    tag: 'approvals',
    role: 'viewer',
    response: 'Approval',
    async handle({ ctx, params, who }) {
      return { body: view(find(ctx, params.id), who) };
    },
  },
  {
    method: 'POST',
    path: '/approvals/{id}/approve',
    operationId: 'approve',
    summary:
      'Approve a pending request as the authenticated principal (role approver; the rules must name it or its group).',
    tag: 'approvals',
    role: 'approver',
    body: 'DecisionRequest',
    response: 'Approval',
    handle: decision('approved'),
  },
  {
    method: 'POST',
    path: '/approvals/{id}/reject',
    operationId: 'reject',
    summary: 'Reject a pending request with a reason, as the authenticated principal.',
    tag: 'approvals',
    role: 'approver',
    body: 'DecisionRequest',
    response: 'Approval',
    handle: decision('rejected'),
  },
];
