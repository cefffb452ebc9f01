// `state migrate`: copies a SQLite state file into an empty PostgreSQL store, row for row
// (runtimes, runs, events, approvals; ids kept, sequences moved past them), in one transaction,
// then counts both sides. Refuses a target that already holds state rather than merging.
// The lock table is not copied: a lock belongs to a live process, not to history.

import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { PgBridge, type SqlValue } from './pg-bridge.js';
import { PostgresStateStore } from './postgres.js';

export const COPIED_TABLES = ['runtimes', 'runs', 'events', 'approvals'] as const;
export type CopiedTable = (typeof COPIED_TABLES)[number];

export interface CopyCounts {
  table: CopiedTable;
  source: number;
  target: number;
}

export type CopyResult = { ok: true; counts: CopyCounts[] } | { ok: false; reason: string; counts?: CopyCounts[] };

export function copySqliteToPostgres(input: { sqlitePath: string; url: string }): CopyResult {
  if (!existsSync(input.sqlitePath)) return { ok: false, reason: `there is no state file at ${input.sqlitePath}` };
  const src = new Database(input.sqlitePath, { readonly: true, fileMustExist: true });
  // Opening the store applies the PostgreSQL migrations to the target first.
  new PostgresStateStore({ url: input.url }).close();
  const db = new PgBridge({ url: input.url });
  try {
    const already = COPIED_TABLES.map((t) => ({
      t,
      n: Number(db.query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`)[0].n),
    })).filter((x) => x.n > 0);
    if (already.length)
      return {
        ok: false,
        reason: `the target already holds state (${already.map((x) => `${x.n} ${x.t}`).join(', ')}); migrate into an empty database`,
      };
    db.exec('BEGIN');
    try {
      for (const table of COPIED_TABLES) {
        const rows = src.prepare(`SELECT * FROM ${table}`).all() as Record<string, SqlValue>[];
        for (const row of rows) {
          const cols = Object.keys(row);
          db.run(
            `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
            cols.map((c) => row[c]),
          );
        }
        if (table === 'runs' || table === 'events') {
          // Kept ids: the next insert must continue after the highest copied one.
          db.query(
            `SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT MAX(id) FROM ${table}), 1), (SELECT MAX(id) FROM ${table}) IS NOT NULL)`,
          );
        }
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      return { ok: false, reason: `the copy failed and was rolled back: ${(err as Error).message}` };
    }
    const counts = COPIED_TABLES.map((table) => ({
      table,
      source: Number((src.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n),
      target: Number(db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)[0].n),
    }));
    const off = counts.filter((c) => c.source !== c.target);
    if (off.length)
      return {
        ok: false,
        reason: `counts differ after the copy: ${off.map((c) => `${c.table} ${c.source} → ${c.target}`).join(', ')}`,
        counts,
      };
    return { ok: true, counts };
  } finally {
    db.close();
    src.close();
  }
}
