// Writes one apply outcome to the state store the moment it is known (never in a batch at the
// end), so that a run killed midway leaves state true to what was done. Also the audit events
// of each outcome, guardrail warnings included. No backend calls here.

import type { ApplyOutcome } from '../backends/backend.js';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { settledAs } from './outcome.js';
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

/** Records one outcome and its audit events in one transaction (both or neither; throws on failure). */
export function recordOutcome(input: RecordInput): void {
  input.store.transaction(() => writeOutcome(input));
}

function writeOutcome(input: RecordInput): void {
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
    // A replace is recorded as one, whatever verb the backend's outcome used (issue 19).
    const type = change.reason.includes(':drift-')
      ? 'drift.repaired'
      : `apply.${settledAs(change.action, outcome.status) ?? outcome.status}`;
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

/**
 * The diagnostic of a state write that failed: the backend may already have the change, so the
 * record cannot be trusted; it names the store and how to recover (the next apply observes the
 * backend and records what runs).
 */
export function stateWriteFailed(store: StateStore, what: string, err: unknown): Diagnostic {
  const message = (err as Error)?.message ?? String(err);
  const code = (err as { code?: string })?.code;
  const busy = code === 'SQLITE_BUSY' || /locked|busy/i.test(message);
  return error('state.write-failed', `${what}: writing the state store ${store.location} failed: ${message}`, {
    detail:
      (busy
        ? 'Another process holds a write lock on it (an open sqlite3 shell, a backup or sync tool): close it. '
        : 'The file may be damaged, or its disk full or read-only: free space, fix its permissions, or restore it from a backup (or move it aside: the next apply records what the backend runs; history and approvals start empty). ') +
      'The backend may already run the change while state does not record it; run `contextforge apply` again: it observes the backend and records what runs.',
  });
}

/**
 * Writes the record of a resource the backend runs, from the change a plan made against an
 * empty state (`state rebuild`): the spec hash is the backend's (its labels are the truth), the
 * spec the config's. Nothing is written for what does not run or is not configured.
 */
export function recordObserved(store: StateStore, stack: string, change: Change): boolean {
  const d = change.desired;
  const o = change.observed;
  if (!d || !o || o.status === 'missing' || o.volumesOnly) return false;
  const rec = recordFor(stack, d, o, o.status, warningsOf(change));
  if (o.specHash) rec.specHash = o.specHash;
  store.putRuntime(rec);
  return true;
}
