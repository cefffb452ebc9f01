// The state store interface: what contextforge remembers between runs (applied specs and
// endpoints, run history, the audit log, approvals, the lock). SQLite implements it
// (sqlite.ts); a shared PostgreSQL store can implement it later. Never store secret values.

import type { Endpoint, RuntimeSpec } from '../model/resources.js';

export interface RuntimeRecord {
  stack: string;
  address: string;
  runtime: string;
  backend: string;
  backendType: string;
  specHash: string;
  /** The applied spec (secret digests only). */
  spec: RuntimeSpec;
  endpoint?: Endpoint;
  status: string;
  /** Guardrail warnings that applied when it was created. */
  warnings: string[];
  appliedAt: string;
  /** Backend handle (container id, app name…). */
  native?: Record<string, unknown>;
  /** Addresses it depended on when applied (deletes run in reverse of these). */
  dependsOn?: string[];
}

export type RunKind = 'plan' | 'apply' | 'destroy' | 'reconcile';

export interface RunRecord {
  id: number;
  stack: string;
  kind: RunKind;
  startedAt: string;
  finishedAt?: string;
  outcome?: 'success' | 'partial' | 'failed' | 'held';
  summary?: Record<string, unknown>;
  /** e.g. git commit SHA and author in git mode. */
  meta?: Record<string, unknown>;
}

export interface EventRecord {
  id: number;
  stack: string;
  at: string;
  /** e.g. `apply.created`, `apply.failed`, `drift.repaired`, `guardrail.warning`, `approval.approved`. */
  type: string;
  address?: string;
  actor?: string;
  data?: Record<string, unknown>;
}

export interface LockHolder {
  /** Unique per acquisition; `force-unlock` must name it (absent on locks older than the id). */
  id?: string;
  pid: number;
  host: string;
  since: string;
  operation: string;
  /** The CI run that holds it, when known (PostgreSQL store). */
  runId?: string;
}

/**
 * `takenOver` is set when the lock was held by a process that no longer exists on this host and
 * was taken over; callers print that they did.
 */
export type LockResult = { ok: true; takenOver?: LockHolder } | { ok: false; holder: LockHolder };

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalRecord {
  id: string;
  stack: string;
  address: string;
  specHash: string;
  status: ApprovalStatus;
  reasons: string[];
  approvers: string[][];
  request: Record<string, unknown>;
  requestedAt: string;
  expiresAt: string;
  decidedBy?: string;
  decidedAt?: string;
  note?: string;
}

export interface StateStore {
  /** Where it is, printable: the file path, or the URL without its password. */
  readonly location: string;
  /**
   * Runs fn (synchronous) in one transaction: its writes land together or not at all, so an
   * outcome and the audit events describing it are never separated. Nested calls join the outer one.
   */
  transaction<T>(fn: () => T): T;

  listRuntimes(stack: string): RuntimeRecord[];
  getRuntime(stack: string, address: string): RuntimeRecord | undefined;
  putRuntime(record: RuntimeRecord): void;
  deleteRuntime(stack: string, address: string): void;

  startRun(stack: string, kind: RunKind, meta?: Record<string, unknown>): number;
  finishRun(id: number, outcome: NonNullable<RunRecord['outcome']>, summary?: Record<string, unknown>): void;
  listRuns(stack: string, limit?: number): RunRecord[];

  appendEvent(event: Omit<EventRecord, 'id' | 'at'> & { at?: string }): void;
  listEvents(stack: string, options?: { type?: string; address?: string; limit?: number }): EventRecord[];

  /** Waits up to timeoutMs for the stack lock; returns the holder on failure. */
  acquireLock(stack: string, operation: string, timeoutMs: number): Promise<LockResult>;
  releaseLock(stack: string): void;
  /**
   * Removes the stack's lock when its id is `id` (any holder when `id` is undefined) and returns
   * the holder removed; undefined when the stack is not locked or another acquisition holds it.
   */
  forceUnlock(stack: string, id?: string): LockHolder | undefined;
  /** The current holder, if any (for force-unlock's checks and messages). */
  lockHolder(stack: string): LockHolder | undefined;

  createApproval(record: ApprovalRecord): void;
  listApprovals(stack: string, status?: ApprovalStatus): ApprovalRecord[];
  getApproval(id: string): ApprovalRecord | undefined;
  decideApproval(
    id: string,
    decision: { status: 'approved' | 'rejected' | 'expired'; by: string; note?: string },
  ): ApprovalRecord | undefined;

  /** Changes whenever any writer commits (PRAGMA data_version for SQLite): cheap change polling. */
  version(): number;
  close(): void;
}
