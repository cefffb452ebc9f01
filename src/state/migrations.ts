// Numbered schema migrations of the SQLite state store, applied in order inside one transaction
// each and recorded in `schema_migrations`. Append new migrations at the end; never edit one
// that has shipped.

import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
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
        id INTEGER PRIMARY KEY AUTOINCREMENT,
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
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stack TEXT NOT NULL,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        address TEXT,
        actor TEXT,
        data TEXT
      );
      CREATE INDEX events_stack ON events (stack, id);
      -- The audit log is append-only: the database itself refuses edits and deletions.
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
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
      CREATE TABLE locks (
        stack TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        since TEXT NOT NULL,
        operation TEXT NOT NULL
      );
    `,
  },
  {
    // Each acquisition gets an id, so that force-unlock removes the lock the user looked at
    // (as Terraform's `force-unlock LOCK_ID`) and never a newer one taken in the meantime.
    version: 2,
    name: 'lock-id',
    sql: `ALTER TABLE locks ADD COLUMN id TEXT; UPDATE locks SET id = lower(hex(randomblob(16)));`,
  },
];

/** Applies every migration newer than the database's version; returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    // IMMEDIATE: two processes opening a fresh database must not both run migration 1.
    db.transaction(() => {
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
      if (again) return;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
      done.push(m.version);
    }).immediate();
  }
  return done;
}

/** The highest applied migration version (0 for an empty database). */
export function schemaVersion(db: Database.Database): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null } | undefined;
  return row?.v ?? 0;
}
