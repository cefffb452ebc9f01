// The embedded state store on better-sqlite3: runtimes, runs, the append-only event log,
// approvals and the per-stack lock, in one WAL-mode file (default .contextforge/state.db).
// It stores what it is given; callers pass specs with secret digests only, and event and
// run payloads go through the redactor as a last line of defence.

import Database from 'better-sqlite3';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { migrate } from './migrations.js';
import { approvalValues, runtimeValues, toApproval, toEvent, toHolder, toRun, toRuntime, type Row } from './rows.js';
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

export interface SqliteStoreOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** Applied to event data and run summaries before they are written. */
  redact?: (text: string) => string;
  /** How often a waiting acquireLock polls (default 200 ms). */
  lockPollMs?: number;
}

/** True when a process with that pid exists on this host (EPERM means it exists, not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when this process may write the file and create files beside it (-wal, -shm). */
function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A read-only copy of a state file whose directory cannot be written (WAL needs one to read). */
function readOnlySnapshot(path: string): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'contextforge-state-'));
  const copy = join(dir, 'state.db');
  copyFileSync(path, copy);
  chmodSync(copy, 0o600);
  // Header bytes 18-19 say "WAL" (2); as rollback-journal (1) the copy opens without a -shm.
  // A -wal the writer has not checkpointed yet is not part of the snapshot.
  const fd = openSync(copy, 'r+');
  writeSync(fd, Buffer.from([1, 1]), 0, 2, 18);
  closeSync(fd);
  const db = new Database(copy, { readonly: true, fileMustExist: true });
  // The copy goes with the process; the original is never touched.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return db;
}

export class SqliteStateStore implements StateStore {
  readonly path: string;
  /** Printable location (the path). */
  get location(): string {
    return this.path;
  }
  private readonly db!: Database.Database;
  private readonly redact: (text: string) => string;
  private readonly pollMs: number;
  private readonly host = hostname();

  /** True when the file could only be read (a read-only directory): a snapshot copy is open. */
  readonly readOnly: boolean = false;

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.redact = options.redact ?? ((t) => t);
    this.pollMs = options.lockPollMs ?? 200;
    let db: Database.Database | undefined;
    try {
      if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
      db = new Database(options.path);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      migrate(db);
      this.db = db;
    } catch (err) {
      db?.close();
      if (options.path === ':memory:' || !existsSync(options.path) || writable(options.path)) throw err;
      // WAL needs a writable directory even to read; read-only verbs (status, history, events)
      // read a snapshot copy instead, opened read-only so that any write fails loudly.
      this.db = readOnlySnapshot(options.path);
      this.readOnly = true;
    }
  }

  private redactedJson(value: unknown): string | null {
    return value === undefined ? null : this.redact(JSON.stringify(value));
  }

  transaction<T>(fn: () => T): T {
    // Nested: better-sqlite3 turns the inner one into a savepoint of the outer transaction.
    return this.db.inTransaction ? this.db.transaction(fn)() : this.db.transaction(fn).immediate();
  }

  // ── runtimes ──────────────────────────────────────────────────────────────
  listRuntimes(stack: string): RuntimeRecord[] {
    return (this.db.prepare('SELECT * FROM runtimes WHERE stack = ? ORDER BY address').all(stack) as Row[]).map((r) =>
      toRuntime(r),
    );
  }

  getRuntime(stack: string, address: string): RuntimeRecord | undefined {
    const r = this.db.prepare('SELECT * FROM runtimes WHERE stack = ? AND address = ?').get(stack, address) as
      Row | undefined;
    return r ? toRuntime(r) : undefined;
  }

  putRuntime(rec: RuntimeRecord): void {
    this.db
      .prepare(
        `INSERT INTO runtimes (stack, address, runtime, backend, backend_type, spec_hash, spec, endpoint, status, warnings, applied_at, native, depends_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (stack, address) DO UPDATE SET runtime = excluded.runtime, backend = excluded.backend,
           backend_type = excluded.backend_type, spec_hash = excluded.spec_hash, spec = excluded.spec,
           endpoint = excluded.endpoint, status = excluded.status, warnings = excluded.warnings,
           applied_at = excluded.applied_at, native = excluded.native, depends_on = excluded.depends_on`,
      )
      .run(...runtimeValues(rec, this.redact));
  }

  deleteRuntime(stack: string, address: string): void {
    this.db.prepare('DELETE FROM runtimes WHERE stack = ? AND address = ?').run(stack, address);
  }

  // ── runs ──────────────────────────────────────────────────────────────────
  startRun(stack: string, kind: RunKind, meta?: Record<string, unknown>): number {
    const r = this.db
      .prepare('INSERT INTO runs (stack, kind, started_at, meta) VALUES (?, ?, ?, ?)')
      .run(stack, kind, new Date().toISOString(), this.redactedJson(meta));
    return Number(r.lastInsertRowid);
  }

  finishRun(id: number, outcome: NonNullable<RunRecord['outcome']>, summary?: Record<string, unknown>): void {
    this.db
      .prepare('UPDATE runs SET finished_at = ?, outcome = ?, summary = ? WHERE id = ?')
      .run(new Date().toISOString(), outcome, this.redactedJson(summary), id);
  }

  listRuns(stack: string, limit = 50): RunRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM runs WHERE stack = ? ORDER BY id DESC LIMIT ?')
      .all(stack, limit) as Row[];
    return rows.map(toRun);
  }

  // ── events ────────────────────────────────────────────────────────────────
  appendEvent(event: Omit<EventRecord, 'id' | 'at'> & { at?: string }): void {
    this.db
      .prepare('INSERT INTO events (stack, at, type, address, actor, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        event.stack,
        event.at ?? new Date().toISOString(),
        event.type,
        event.address ?? null,
        event.actor ?? null,
        this.redactedJson(event.data),
      );
  }

  listEvents(stack: string, options: { type?: string; address?: string; limit?: number } = {}): EventRecord[] {
    const where = ['stack = @stack'];
    if (options.type) where.push(options.type.endsWith('*') ? 'type LIKE @typeLike' : 'type = @type');
    if (options.address) where.push('address = @address');
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit) ORDER BY id`,
      )
      .all({
        stack,
        type: options.type,
        typeLike: options.type?.replace(/\*$/, '%'),
        address: options.address,
        limit: options.limit ?? 1000,
      }) as Row[];
    return rows.map(toEvent);
  }

  // ── lock ──────────────────────────────────────────────────────────────────
  /** One attempt: take the lock if free, ours, or held by a dead process on this host. */
  private tryLock(stack: string, operation: string): LockResult {
    return this.db
      .transaction((): LockResult => {
        const row = this.db.prepare('SELECT * FROM locks WHERE stack = ?').get(stack) as Row | undefined;
        const mine = { pid: process.pid, host: this.host, since: new Date().toISOString(), operation };
        // Re-taking our own lock keeps its id: the id names one holding, not one call.
        const write = (id: string = randomUUID()): void => {
          this.db
            .prepare('INSERT OR REPLACE INTO locks (stack, pid, host, since, operation, id) VALUES (?, ?, ?, ?, ?, ?)')
            .run(stack, mine.pid, mine.host, mine.since, mine.operation, id);
        };
        if (!row) {
          write();
          return { ok: true };
        }
        const holder = toHolder(row);
        if (holder.host === this.host && holder.pid === process.pid) {
          write(holder.id);
          return { ok: true };
        }
        if (holder.host === this.host && !pidAlive(holder.pid)) {
          write();
          return { ok: true, takenOver: holder };
        }
        return { ok: false, holder };
      })
      .immediate();
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
    this.db.prepare('DELETE FROM locks WHERE stack = ? AND pid = ? AND host = ?').run(stack, process.pid, this.host);
  }

  forceUnlock(stack: string, id?: string): LockHolder | undefined {
    return this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT * FROM locks WHERE stack = ?').get(stack) as Row | undefined;
        if (!row || (id !== undefined && row.id !== id)) return undefined;
        this.db.prepare('DELETE FROM locks WHERE stack = ?').run(stack);
        return toHolder(row);
      })
      .immediate();
  }

  /** The current holder, if any (for status and error messages). */
  lockHolder(stack: string): LockHolder | undefined {
    const row = this.db.prepare('SELECT * FROM locks WHERE stack = ?').get(stack) as Row | undefined;
    return row ? toHolder(row) : undefined;
  }

  // ── approvals ─────────────────────────────────────────────────────────────
  createApproval(rec: ApprovalRecord): void {
    this.db
      .prepare(
        `INSERT INTO approvals (id, stack, address, spec_hash, status, reasons, approvers, request, requested_at, expires_at, decided_by, decided_at, note)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(...approvalValues(rec, this.redact));
  }

  listApprovals(stack: string, status?: ApprovalStatus): ApprovalRecord[] {
    const rows = status
      ? this.db
          .prepare('SELECT * FROM approvals WHERE stack = ? AND status = ? ORDER BY requested_at')
          .all(stack, status)
      : this.db.prepare('SELECT * FROM approvals WHERE stack = ? ORDER BY requested_at').all(stack);
    return (rows as Row[]).map((r) => toApproval(r));
  }

  getApproval(id: string): ApprovalRecord | undefined {
    const r = this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
    return r ? toApproval(r) : undefined;
  }

  decideApproval(
    id: string,
    decision: { status: 'approved' | 'rejected' | 'expired'; by: string; note?: string },
  ): ApprovalRecord | undefined {
    const r = this.db
      .prepare(
        "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ? AND status = 'pending'",
      )
      .run(decision.status, decision.by, new Date().toISOString(), decision.note ?? null, id);
    return r.changes ? this.getApproval(id) : undefined;
  }

  version(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Opens the store at path (directories created), migrations applied. */
export function openStateStore(options: SqliteStoreOptions): SqliteStateStore {
  return new SqliteStateStore(options);
}
