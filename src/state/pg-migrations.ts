// The numbered schema migrations of the PostgreSQL state store: the same versions and tables as
// the SQLite ones (migrations.ts), translated where the SQL differs, plus what only a shared
// server needs (the change counter that serve follows). Append at the end; never edit one that
// has shipped. Applied under an advisory transaction lock so that two hosts never race.

import type { PgBridge } from './pg-bridge.js';
import type { Migration } from './migrations.js';

/** Key of the advisory lock taken while migrating (any constant no other lock uses). */
const MIGRATION_LOCK = 0x43465347; // "CFSG"

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE runtimes (
        stack TEXT NOT NULL,
        address TEXT NOT NULL,
        runtime TEXT NOT NULL,
        backend TEXT NOT NULL,
        backend_type TEXT NOT NULL,
        spec_hash TEXT NOT NULL,
        spec TEXT NOT NULL,
        endpoint TEXT,
        status TEXT NOT NULL,
        warnings TEXT NOT NULL DEFAULT '[]',
        applied_at TEXT NOT NULL,
        native TEXT,
        depends_on TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (stack, address)
      );
      CREATE TABLE runs (
        id SERIAL PRIMARY KEY,
        stack TEXT NOT NULL,
        kind TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT,
        summary TEXT,
        meta TEXT
      );
      CREATE INDEX runs_stack ON runs (stack, id);
      CREATE TABLE events (
        id SERIAL PRIMARY KEY,
        stack TEXT NOT NULL,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        address TEXT,
        actor TEXT,
        data TEXT
      );
      CREATE INDEX events_stack ON events (stack, id);
      -- The audit log is append-only: the database itself refuses edits, deletions and TRUNCATE.
      CREATE FUNCTION contextforge_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'events are append-only'; END $$;
      CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION contextforge_events_append_only();
      CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION contextforge_events_append_only();
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        stack TEXT NOT NULL,
        address TEXT NOT NULL,
        spec_hash TEXT NOT NULL,
        status TEXT NOT NULL,
        reasons TEXT NOT NULL,
        approvers TEXT NOT NULL,
        request TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        decided_by TEXT,
        decided_at TEXT,
        note TEXT
      );
      CREATE INDEX approvals_stack ON approvals (stack, status);
      -- The lock itself is a session advisory lock; this row names its holder for messages, and
      -- session_pid lets force-unlock end the holding session.
      CREATE TABLE locks (
        stack TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        since TEXT NOT NULL,
        operation TEXT NOT NULL,
        run_id TEXT,
        session_pid INTEGER
      );
      -- One counter bumped by every write, so that a serve on another host sees changes with one
      -- cheap read (the PostgreSQL counterpart of SQLite's data_version), plus a NOTIFY.
      CREATE TABLE state_version (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
      INSERT INTO state_version (id, n) VALUES (1, 0);
      CREATE FUNCTION contextforge_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE state_version SET n = n + 1 WHERE id = 1;
          PERFORM pg_notify('contextforge_state', TG_TABLE_NAME);
          RETURN NULL;
        END $$;
      CREATE TRIGGER runtimes_version AFTER INSERT OR UPDATE OR DELETE ON runtimes FOR EACH STATEMENT EXECUTE FUNCTION contextforge_bump_version();
      CREATE TRIGGER runs_version AFTER INSERT OR UPDATE OR DELETE ON runs FOR EACH STATEMENT EXECUTE FUNCTION contextforge_bump_version();
      CREATE TRIGGER events_version AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION contextforge_bump_version();
      CREATE TRIGGER approvals_version AFTER INSERT OR UPDATE OR DELETE ON approvals FOR EACH STATEMENT EXECUTE FUNCTION contextforge_bump_version();
    `,
  },
  {
    version: 2,
    name: 'lock-id',
    sql: `ALTER TABLE locks ADD COLUMN id TEXT; UPDATE locks SET id = md5(random()::text);`,
  },
];

/** Applies every migration newer than the database's version; returns the versions applied. */
export function migratePg(db: PgBridge, migrations: readonly Migration[] = PG_MIGRATIONS): number[] {
  const done: number[] = [];
  db.exec('BEGIN');
  try {
    db.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`);
    const applied = new Set(
      db.query<{ version: number }>('SELECT version FROM schema_migrations').map((r) => r.version),
    );
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
      done.push(m.version);
    }
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
  return done;
}

/** The highest applied migration version (0 for an empty database). */
export function pgSchemaVersion(db: PgBridge): number {
  const rows = db.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}
