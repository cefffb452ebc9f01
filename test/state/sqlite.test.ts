import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from '../../src/state/sqlite.js';
import { MIGRATIONS, migrate, schemaVersion } from '../../src/state/migrations.js';
import { applyPlan } from '../../src/apply/engine.js';
import { scenario } from '../plan/plan-scenario.js';
import { TEST_SECRET } from '../plan/config-builder.js';
import type { Backend } from '../../src/backends/backend.js';
import { NO_CAPABILITIES } from '../../src/model/capabilities.js';

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

test('runtimes, runs and events round-trip; events are append-only', () => {
  const store = openStateStore({ path: tempDb() });
  const { desired } = scenario();
  const d = desired[0];
  store.putRuntime({
    stack: 's',
    address: d.address,
    runtime: d.runtime,
    backend: 'local',
    backendType: 'docker',
    specHash: d.specHash,
    spec: d.spec,
    status: 'running',
    warnings: ['w'],
    appliedAt: 't',
    dependsOn: ['runtime.x'],
    endpoint: { transport: 'streamable-http', url: 'http://127.0.0.1:1/mcp' },
  });
  assert.is(store.getRuntime('s', d.address)!.specHash, d.specHash);
  assert.equal(store.getRuntime('s', d.address)!.spec, d.spec);
  assert.equal(store.listRuntimes('other'), []);
  const run = store.startRun('s', 'apply', { actor: 'me' });
  store.finishRun(run, 'success', { create: 1 });
  assert.equal(store.listRuns('s')[0], {
    id: run,
    stack: 's',
    kind: 'apply',
    startedAt: store.listRuns('s')[0].startedAt,
    finishedAt: store.listRuns('s')[0].finishedAt,
    outcome: 'success',
    summary: { create: 1 },
    meta: { actor: 'me' },
  });
  store.appendEvent({ stack: 's', type: 'apply.created', address: d.address, data: { n: 1 } });
  store.appendEvent({ stack: 's', type: 'guardrail.warning', address: d.address });
  assert.equal(
    store.listEvents('s').map((e) => e.type),
    ['apply.created', 'guardrail.warning'],
  );
  assert.equal(
    store.listEvents('s', { type: 'apply.*' }).map((e) => e.type),
    ['apply.created'],
  );
  const v = store.version();
  assert.type(v, 'number');
  store.deleteRuntime('s', d.address);
  assert.is(store.getRuntime('s', d.address), undefined);
  store.close();
  const db = new Database(store.path);
  assert.throws(() => db.prepare("UPDATE events SET type = 'x'").run(), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM events').run(), /append-only/);
  db.close();
});

test('approvals: create, list, decide once', () => {
  const store = openStateStore({ path: tempDb() });
  const rec = {
    id: 'ap1',
    stack: 's',
    address: 'runtime.a',
    specHash: 'sha256:x',
    status: 'pending' as const,
    reasons: ['r'],
    approvers: [['sec']],
    request: { image: 'x' },
    requestedAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-01-03T00:00:00Z',
  };
  store.createApproval(rec);
  assert.is(store.listApprovals('s', 'pending').length, 1);
  const decided = store.decideApproval('ap1', { status: 'approved', by: 'sec', note: 'ok' })!;
  assert.is(decided.status, 'approved');
  assert.is(decided.decidedBy, 'sec');
  assert.is(
    store.decideApproval('ap1', { status: 'rejected', by: 'x' }),
    undefined,
    'a decided approval stays decided',
  );
  store.close();
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

test('applying a plan with secrets never writes a secret value to the database files', async () => {
  const path = tempDb();
  const store = openStateStore({ path, redact: (t) => t.split(TEST_SECRET).join('(sensitive)') });
  const { plan } = scenario();
  // An engine unit-test backend (not a real backend): reports success and echoes the change,
  // including a diagnostic that (wrongly) contains the secret, to prove the store's last line.
  const echoBackend: Backend = {
    describe: () => ({ name: 'echo', kind: 'docker', capabilities: NO_CAPABILITIES }),
    validate: () => [],
    observe: async () => ({ value: [], diags: [] }),
    plan: () => {
      throw new Error('not used');
    },
    apply: async (c) => ({
      status: c.action === 'delete' ? 'deleted' : 'created',
      observed: c.desired
        ? {
            address: c.address,
            runtime: c.desired.runtime,
            backend: c.backend,
            specHash: c.desired.specHash,
            live: { ...c.desired.spec },
            status: 'running',
          }
        : undefined,
      diags: [
        {
          severity: 'warning',
          code: 'test.echo',
          summary: `env ${Object.values(c.desired?.secretEnv ?? {}).join(',')}`,
        },
      ],
    }),
  };
  const secretsInPlan = plan.changes.flatMap((c) => Object.values(c.desired?.secretEnv ?? {}));
  assert.ok(
    secretsInPlan.some((s) => s.includes(TEST_SECRET)),
    'the plan carries secret values to apply',
  );
  const r = await applyPlan({
    plan,
    backends: { local: echoBackend, procs: echoBackend },
    store,
    approvedBy: ['security-team'],
    retry: { attempts: 1 },
  });
  assert.is(r.exitCode, 0, JSON.stringify(r.diags));
  store.close();
  const dir = join(path, '..');
  for (const f of readdirSync(dir)) {
    const bytes = readFileSync(join(dir, f));
    assert.is(bytes.indexOf(Buffer.from(TEST_SECRET)), -1, `secret found in ${f}`);
  }
  const check = openStateStore({ path });
  assert.ok(check.listRuntimes('demo').length >= 4, 'runtimes were recorded');
  assert.ok(check.listEvents('demo').some((e) => e.type === 'guardrail.warning'));
  check.close();
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
