// What only the SQLite store has: its migration runner and WAL mode, and the rule that a lock
// held on another host is never taken over. Everything both stores do is in store-contract.test.ts,
// which runs against SQLite and PostgreSQL (its secret check reads the SQLite files' bytes too).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from '../../src/state/sqlite.js';
import { MIGRATIONS, migrate, schemaVersion } from '../../src/state/migrations.js';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-state-'));
  dirs.push(dir);
  return join(dir, 'nested', 'state.db');
}

test('migrations are numbered, recorded, and applied once', () => {
  const path = tempDb();
  const s1 = openStateStore({ path });
  s1.close();
  const db = new Database(path);
  assert.is(schemaVersion(db), MIGRATIONS[MIGRATIONS.length - 1].version);
  assert.equal(migrate(db), [], 'a second run applies nothing');
  const rows = db.prepare('SELECT version, name FROM schema_migrations').all();
  assert.equal(
    rows,
    MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
  );
  assert.is(db.pragma('journal_mode', { simple: true }), 'wal');
  // A later migration is picked up by the same runner.
  assert.equal(migrate(db, [...MIGRATIONS, { version: 99, name: 'test', sql: 'CREATE TABLE t99 (x INTEGER)' }]), [99]);
  db.close();
});

test('a lock held on another host is never taken over, even with a pid that is dead here; force-unlock removes it', async () => {
  // SQLite only: a holder on this host whose pid is gone is taken over (the store contract's
  // kill -9 case); one on another host cannot be checked from here. PostgreSQL needs no such
  // rule: its lock ends with the holder's connection.
  const path = tempDb();
  const store = openStateStore({ path, lockPollMs: 50 });
  const db = new Database(path);
  db.prepare('INSERT INTO locks (stack, pid, host, since, operation) VALUES (?, ?, ?, ?, ?)').run(
    'stk',
    999_999_999,
    'elsewhere.example',
    '2026-01-01T00:00:00Z',
    'apply',
  );
  db.close();
  const busy = await store.acquireLock('stk', 'apply', 0);
  assert.is(busy.ok, false);
  if (!busy.ok) assert.is(busy.holder.host, 'elsewhere.example');
  assert.equal(store.forceUnlock('stk'), {
    pid: 999_999_999,
    host: 'elsewhere.example',
    since: '2026-01-01T00:00:00Z',
    operation: 'apply',
  });
  assert.is((await store.acquireLock('stk', 'apply', 0)).ok, true);
  store.close();
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
