// The shared state store on PostgreSQL (`state: { backend: postgres, url: ... }`): the same
// tables and semantics as the SQLite store, one connection (one session) per store. The stack
// lock is a session advisory lock, so it dies with its holder's connection (kill -9 included);
// the `locks` row only names the holder for messages. Never store or print the database URL.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { PgBridge, type SqlValue } from './pg-bridge.js';
import { migratePg } from './pg-migrations.js';
import {
  approvalValues,
  ciRunId,
  runtimeValues,
  toApproval,
  toEvent,
  toHolder,
  toRun,
  toRuntime,
  type Row,
} from './rows.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  EventRecord,
  LockHolder,
  LockResult,
  RunKind,
  RunRecord,
  RuntimeRecord,
  StateStore,
} from './store.js';

export interface PostgresStoreOptions {
  url: string;
  redact?: (text: string) => string;
  /** How often a waiting acquireLock retries (default 200 ms). */
  lockPollMs?: number;
}

/** The URL without its password, for messages. */
export function describePgUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(database url)';
  }
}

export class PostgresStateStore implements StateStore {
  readonly location: string;
  private readonly db: PgBridge;
  private readonly redact: (text: string) => string;
  private readonly pollMs: number;
  private readonly host = hostname();
  /** Stacks whose advisory lock this session holds (PostgreSQL counts re-entries; we do not). */
  private readonly held = new Set<string>();
  /** The id of each lock this session holds. */
  private readonly heldIds = new Map<string, string>();

  constructor(options: PostgresStoreOptions) {
    this.location = describePgUrl(options.url);
    this.db = new PgBridge({ url: options.url });
    this.redact = options.redact ?? ((t) => t);
    this.pollMs = options.lockPollMs ?? 200;
    try {
      migratePg(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** Open transaction depth: nested calls join the outer transaction. */
  private depth = 0;

  transaction<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.db.run('BEGIN');
    this.depth += 1;
    try {
      const r = fn();
      this.db.run('COMMIT');
      return r;
    } catch (err) {
      try {
        this.db.run('ROLLBACK');
      } catch {
        // The connection is gone; the server rolled back with it.
      }
      throw err;
    } finally {
      this.depth -= 1;
    }
  }

  private redactedJson(value: unknown): string | null {
    return value === undefined ? null : this.redact(JSON.stringify(value));
  }

  // ── runtimes ──────────────────────────────────────────────────────────────
  listRuntimes(stack: string): RuntimeRecord[] {
    return this.db.query('SELECT * FROM runtimes WHERE stack = $1 ORDER BY address', [stack]).map(toRuntime);
  }

  getRuntime(stack: string, address: string): RuntimeRecord | undefined {
    const r = this.db.query('SELECT * FROM runtimes WHERE stack = $1 AND address = $2', [stack, address])[0];
    return r ? toRuntime(r) : undefined;
  }

  putRuntime(rec: RuntimeRecord): void {
    this.db.run(
      `INSERT INTO runtimes (stack, address, runtime, backend, backend_type, spec_hash, spec, endpoint, status, warnings, applied_at, native, depends_on)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (stack, address) DO UPDATE SET runtime = excluded.runtime, backend = excluded.backend,
         backend_type = excluded.backend_type, spec_hash = excluded.spec_hash, spec = excluded.spec,
         endpoint = excluded.endpoint, status = excluded.status, warnings = excluded.warnings,
         applied_at = excluded.applied_at, native = excluded.native, depends_on = excluded.depends_on`,
      runtimeValues(rec, this.redact),
    );
  }

  deleteRuntime(stack: string, address: string): void {
    this.db.run('DELETE FROM runtimes WHERE stack = $1 AND address = $2', [stack, address]);
  }

  // ── runs ──────────────────────────────────────────────────────────────────
  startRun(stack: string, kind: RunKind, meta?: Record<string, unknown>): number {
    const rows = this.db.query<{ id: number }>(
      'INSERT INTO runs (stack, kind, started_at, meta) VALUES ($1, $2, $3, $4) RETURNING id',
      [stack, kind, new Date().toISOString(), this.redactedJson(meta)],
    );
    return Number(rows[0].id);
  }

  finishRun(id: number, outcome: NonNullable<RunRecord['outcome']>, summary?: Record<string, unknown>): void {
    this.db.run('UPDATE runs SET finished_at = $1, outcome = $2, summary = $3 WHERE id = $4', [
      new Date().toISOString(),
      outcome,
      this.redactedJson(summary),
      id,
    ]);
  }

  listRuns(stack: string, limit = 50): RunRecord[] {
    return this.db.query('SELECT * FROM runs WHERE stack = $1 ORDER BY id DESC LIMIT $2', [stack, limit]).map(toRun);
  }

  // ── events ────────────────────────────────────────────────────────────────
  appendEvent(event: Omit<EventRecord, 'id' | 'at'> & { at?: string }): void {
    this.db.run('INSERT INTO events (stack, at, type, address, actor, data) VALUES ($1, $2, $3, $4, $5, $6)', [
      event.stack,
      event.at ?? new Date().toISOString(),
      event.type,
      event.address ?? null,
      event.actor ?? null,
      this.redactedJson(event.data),
    ]);
  }

  listEvents(stack: string, options: { type?: string; address?: string; limit?: number } = {}): EventRecord[] {
    const params: SqlValue[] = [stack];
    const where = ['stack = $1'];
    if (options.type) {
      params.push(options.type.endsWith('*') ? options.type.replace(/\*$/, '%') : options.type);
      where.push(options.type.endsWith('*') ? `type LIKE $${params.length}` : `type = $${params.length}`);
    }
    if (options.address) {
      params.push(options.address);
      where.push(`address = $${params.length}`);
    }
    params.push(options.limit ?? 1000);
    const rows = this.db.query(
      `SELECT * FROM (SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${params.length}) e ORDER BY id`,
      params,
    );
    return rows.map(toEvent);
  }

  // ── lock ──────────────────────────────────────────────────────────────────
  /** One attempt: the advisory lock decides; the row is written by whoever holds it. */
  private tryLock(stack: string, operation: string): LockResult {
    if (this.held.has(stack)) {
      this.writeHolder(stack, operation);
      return { ok: true };
    }
    const got =
      this.db.query<{ ok: boolean }>(
        "SELECT pg_try_advisory_lock(hashtextextended('contextforge.lock:' || $1, 0)) AS ok",
        [stack],
      )[0]?.ok === true;
    const row = this.db.query('SELECT * FROM locks WHERE stack = $1', [stack])[0];
    if (!got) {
      // Held by a session that has not written its row yet: report it without details.
      return {
        ok: false,
        holder: row
          ? toHolder(row)
          : { pid: 0, host: 'unknown', since: new Date().toISOString(), operation: 'unknown' },
      };
    }
    this.held.add(stack);
    this.writeHolder(stack, operation);
    // A row we did not write, while we got the advisory lock: its session ended without
    // releasing (killed, crashed, connection lost). Say whose lock was taken over.
    if (row && !(Number(row.pid) === process.pid && row.host === this.host))
      return { ok: true, takenOver: toHolder(row) };
    return { ok: true };
  }

  /** Writes our holder row; re-taking a lock this session holds keeps its id. */
  private writeHolder(stack: string, operation: string): void {
    const id = this.heldIds.get(stack) ?? randomUUID();
    this.heldIds.set(stack, id);
    this.db.run(
      `INSERT INTO locks (stack, pid, host, since, operation, run_id, session_pid, id) VALUES ($1, $2, $3, $4, $5, $6, pg_backend_pid(), $7)
       ON CONFLICT (stack) DO UPDATE SET pid = excluded.pid, host = excluded.host, since = excluded.since,
         operation = excluded.operation, run_id = excluded.run_id, session_pid = excluded.session_pid, id = excluded.id`,
      [stack, process.pid, this.host, new Date().toISOString(), operation, ciRunId() ?? null, id],
    );
  }

  async acquireLock(stack: string, operation: string, timeoutMs: number): Promise<LockResult> {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      const r = this.tryLock(stack, operation);
      if (r.ok || Date.now() >= deadline) return r;
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.pollMs, Math.max(1, deadline - Date.now()))));
    }
  }

  releaseLock(stack: string): void {
    if (!this.held.has(stack)) return;
    this.db.run('DELETE FROM locks WHERE stack = $1 AND session_pid = pg_backend_pid()', [stack]);
    this.db.query("SELECT pg_advisory_unlock(hashtextextended('contextforge.lock:' || $1, 0))", [stack]);
    this.held.delete(stack);
    this.heldIds.delete(stack);
  }

  /**
   * Removes the holder row and ends the session that holds the advisory lock (which releases
   * it); needs the right to signal that backend (same role or superuser).
   */
  forceUnlock(stack: string, id?: string): LockHolder | undefined {
    const row = this.db.query('SELECT * FROM locks WHERE stack = $1', [stack])[0];
    if (id !== undefined && row?.id !== id) return undefined;
    if (this.held.has(stack)) {
      this.releaseLock(stack);
      return row ? toHolder(row) : undefined;
    }
    const sessions = this.db.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
         AND ((l.classid::bigint << 32) | l.objid::bigint) = (hashtextextended('contextforge.lock:' || $1, 0) & x'FFFFFFFFFFFFFFFF'::bigint)
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [stack],
    );
    for (const s of sessions) this.db.query('SELECT pg_terminate_backend($1)', [s.pid]);
    this.db.run('DELETE FROM locks WHERE stack = $1', [stack]);
    return row
      ? toHolder(row)
      : sessions.length
        ? { pid: 0, host: 'unknown', since: '', operation: 'unknown' }
        : undefined;
  }

  /** The current holder, if any (for status and error messages). */
  lockHolder(stack: string): LockHolder | undefined {
    const row = this.db.query('SELECT * FROM locks WHERE stack = $1', [stack])[0];
    return row ? toHolder(row) : undefined;
  }

  // ── approvals ─────────────────────────────────────────────────────────────
  createApproval(rec: ApprovalRecord): void {
    this.db.run(
      `INSERT INTO approvals (id, stack, address, spec_hash, status, reasons, approvers, request, requested_at, expires_at, decided_by, decided_at, note)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      approvalValues(rec, this.redact),
    );
  }

  listApprovals(stack: string, status?: ApprovalStatus): ApprovalRecord[] {
    const rows: Row[] = status
      ? this.db.query('SELECT * FROM approvals WHERE stack = $1 AND status = $2 ORDER BY requested_at', [stack, status])
      : this.db.query('SELECT * FROM approvals WHERE stack = $1 ORDER BY requested_at', [stack]);
    return rows.map(toApproval);
  }

  getApproval(id: string): ApprovalRecord | undefined {
    const r = this.db.query('SELECT * FROM approvals WHERE id = $1', [id])[0];
    return r ? toApproval(r) : undefined;
  }

  decideApproval(
    id: string,
    decision: { status: 'approved' | 'rejected' | 'expired'; by: string; note?: string },
  ): ApprovalRecord | undefined {
    const n = this.db.run(
      "UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3, note = $4 WHERE id = $5 AND status = 'pending'",
      [decision.status, decision.by, new Date().toISOString(), decision.note ?? null, id],
    );
    return n ? this.getApproval(id) : undefined;
  }

  version(): number {
    return Number(this.db.query<{ n: number }>('SELECT n FROM state_version WHERE id = 1')[0]?.n ?? 0);
  }

  close(): void {
    this.db.close();
  }
}
