// Row ↔ record mapping shared by the SQLite and PostgreSQL stores: both keep the same columns
// (JSON as TEXT), so one reading of a row serves both. No SQL and no I/O here.

import type {
  ApprovalRecord,
  ApprovalStatus,
  EventRecord,
  LockHolder,
  RunKind,
  RunRecord,
  RuntimeRecord,
} from './store.js';

export type Row = Record<string, unknown>;
type Value = string | number | null;
type Redact = (text: string) => string;

/**
 * A runtime record as the values of its columns, in table order (stack … depends_on). Which
 * columns pass through the redactor is decided here once for both stores.
 */
export function runtimeValues(rec: RuntimeRecord, redact: Redact): Value[] {
  return [
    rec.stack,
    rec.address,
    rec.runtime,
    rec.backend,
    rec.backendType,
    rec.specHash,
    redact(JSON.stringify(rec.spec)),
    rec.endpoint === undefined ? null : JSON.stringify(rec.endpoint),
    rec.status,
    redact(JSON.stringify(rec.warnings ?? [])),
    rec.appliedAt,
    rec.native === undefined ? null : redact(JSON.stringify(rec.native)),
    JSON.stringify(rec.dependsOn ?? []),
  ];
}

/** An approval record as the values of its columns, in table order (id … note). */
export function approvalValues(rec: ApprovalRecord, redact: Redact): Value[] {
  return [
    rec.id,
    rec.stack,
    rec.address,
    rec.specHash,
    rec.status,
    JSON.stringify(rec.reasons),
    JSON.stringify(rec.approvers),
    redact(JSON.stringify(rec.request)),
    rec.requestedAt,
    rec.expiresAt,
    rec.decidedBy ?? null,
    rec.decidedAt ?? null,
    rec.note ?? null,
  ];
}

export const parseJson = <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : fallback);

export function toRuntime(r: Row): RuntimeRecord {
  const rec: RuntimeRecord = {
    stack: r.stack as string,
    address: r.address as string,
    runtime: r.runtime as string,
    backend: r.backend as string,
    backendType: r.backend_type as string,
    specHash: r.spec_hash as string,
    spec: parseJson(r.spec, {} as RuntimeRecord['spec']),
    status: r.status as string,
    warnings: parseJson(r.warnings, [] as string[]),
    appliedAt: r.applied_at as string,
    dependsOn: parseJson(r.depends_on, [] as string[]),
  };
  if (r.endpoint) rec.endpoint = parseJson(r.endpoint, undefined);
  if (r.native) rec.native = parseJson(r.native, undefined);
  return rec;
}

export function toRun(r: Row): RunRecord {
  const run: RunRecord = {
    id: Number(r.id),
    stack: r.stack as string,
    kind: r.kind as RunKind,
    startedAt: r.started_at as string,
  };
  if (r.finished_at) run.finishedAt = r.finished_at as string;
  if (r.outcome) run.outcome = r.outcome as RunRecord['outcome'];
  if (r.summary) run.summary = parseJson(r.summary, undefined);
  if (r.meta) run.meta = parseJson(r.meta, undefined);
  return run;
}

export function toEvent(r: Row): EventRecord {
  const e: EventRecord = { id: Number(r.id), stack: r.stack as string, at: r.at as string, type: r.type as string };
  if (r.address) e.address = r.address as string;
  if (r.actor) e.actor = r.actor as string;
  if (r.data) e.data = parseJson(r.data, undefined);
  return e;
}

export function toHolder(r: Row): LockHolder {
  const h: LockHolder = {
    pid: Number(r.pid),
    host: r.host as string,
    since: r.since as string,
    operation: r.operation as string,
  };
  if (r.run_id) h.runId = r.run_id as string;
  if (r.id) h.id = r.id as string;
  return h;
}

export function toApproval(r: Row): ApprovalRecord {
  const a: ApprovalRecord = {
    id: r.id as string,
    stack: r.stack as string,
    address: r.address as string,
    specHash: r.spec_hash as string,
    status: r.status as ApprovalStatus,
    reasons: parseJson(r.reasons, [] as string[]),
    approvers: parseJson(r.approvers, [] as string[][]),
    request: parseJson(r.request, {} as Record<string, unknown>),
    requestedAt: r.requested_at as string,
    expiresAt: r.expires_at as string,
  };
  if (r.decided_by) a.decidedBy = r.decided_by as string;
  if (r.decided_at) a.decidedAt = r.decided_at as string;
  if (r.note) a.note = r.note as string;
  return a;
}

/** The run this process works for, when a CI system names one (shown with the lock holder). */
export function ciRunId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.CONTEXTFORGE_RUN_ID ?? env.GITHUB_RUN_ID ?? env.CI_PIPELINE_ID ?? undefined;
}
