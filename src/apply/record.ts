// Writes one apply outcome to the state store the moment it is known (never in a batch at the
// end), so that a run killed midway leaves state true to what was done. Also the audit events
// of each outcome, guardrail warnings included. No backend calls here.

import type { ApplyOutcome } from '../backends/backend.js';
import type { Change, DesiredResource, ObservedResource } from '../model/resources.js';
import type { RuntimeRecord, StateStore } from '../state/store.js';

export interface RecordInput {
  store: StateStore;
  stack: string;
  change: Change;
  outcome: ApplyOutcome;
  attempts: number;
  ms: number;
  actor?: string;
  runId: number;
}

function recordFor(
  stack: string,
  d: DesiredResource,
  o: ObservedResource | undefined,
  status: string,
  warnings: string[],
): RuntimeRecord {
  const rec: RuntimeRecord = {
    stack,
    address: d.address,
    runtime: d.runtime,
    backend: d.backend,
    backendType: d.backendType,
    specHash: d.specHash,
    spec: d.spec,
    status,
    warnings,
    appliedAt: new Date().toISOString(),
    dependsOn: d.dependsOn,
  };
  if (o?.endpoint) rec.endpoint = o.endpoint;
  if (o?.native) rec.native = o.native;
  return rec;
}

export function warningsOf(change: Change): string[] {
  return change.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.summary);
}

export function recordOutcome(input: RecordInput): void {
  const { store, stack, change, outcome } = input;
  const base = { stack, address: change.address, actor: input.actor };
  const data = {
    run: input.runId,
    action: change.action,
    reason: change.reason,
    backend: change.backend,
    attempts: input.attempts,
    ms: input.ms,
    specHash: change.desired?.specHash,
    fields: change.fields.map((f) => f.path),
    diagnostics: outcome.diags.map((d) => `${d.severity}[${d.code}]: ${d.summary}`),
  };
  const existing = store.getRuntime(stack, change.address);
  if (outcome.status === 'failed') {
    // State says what is live: the new spec if the backend reports it running, else the old
    // record marked failed, else nothing (the next plan creates it).
    const o = outcome.observed;
    if (o && change.desired && o.specHash === change.desired.specHash) {
      store.putRuntime(recordFor(stack, change.desired, o, 'failed', warningsOf(change)));
    } else if (existing) {
      store.putRuntime({ ...existing, status: o ? o.status : change.action === 'delete' ? existing.status : 'failed' });
    }
    store.appendEvent({ ...base, type: 'apply.failed', data });
    return;
  }
  if (outcome.status === 'deleted' || (change.action === 'delete' && outcome.status === 'unchanged')) {
    store.deleteRuntime(stack, change.address);
    store.appendEvent({ ...base, type: 'apply.deleted', data });
    return;
  }
  if (change.desired) {
    store.putRuntime(
      recordFor(stack, change.desired, outcome.observed, outcome.observed?.status ?? 'running', warningsOf(change)),
    );
    const type = change.reason.includes(':drift-') ? 'drift.repaired' : `apply.${outcome.status}`;
    store.appendEvent({ ...base, type, data });
    for (const w of change.diagnostics.filter((d) => d.code.startsWith('guardrail.'))) {
      store.appendEvent({
        ...base,
        type: 'guardrail.warning',
        data: { run: input.runId, code: w.code, summary: w.summary, profile: change.desired.spec.guardrails.profile },
      });
    }
  }
}

/** A noop whose state record is missing or stale (e.g. after a killed run): state only. */
export function recordNoop(store: StateStore, stack: string, change: Change): boolean {
  const d = change.desired;
  const o = change.observed;
  if (!d || !o) return false;
  const existing = store.getRuntime(stack, change.address);
  const same =
    existing &&
    existing.specHash === d.specHash &&
    existing.status === o.status &&
    JSON.stringify(existing.endpoint ?? null) === JSON.stringify(o.endpoint ?? null) &&
    existing.backend === d.backend;
  if (same) return false;
  store.putRuntime(recordFor(stack, d, o, o.status, warningsOf(change)));
  return true;
}
