import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

function startHolder(path: string, stack: string): Promise<{ child: ChildProcess; pid: number; lines: string[] }> {
  const script = fileURLToPath(new URL('./lock-holder.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, path, stack], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      for (const l of d.split('\n').filter(Boolean)) {
        lines.push(l);
        const m = /^locked (\d+)$/.exec(l);
        if (m) resolve({ child, pid: Number(m[1]), lines });
      }
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}: ${lines.join(' | ')}`)));
  });
}

test('a second process waits for the lock, fails naming the holder, and gets it after release', async () => {
  const path = tempDb();
  const store = openStateStore({ path, lockPollMs: 50 });
  const holder = await startHolder(path, 'stk');
  try {
    const started = Date.now();
    const busy = await store.acquireLock('stk', 'apply', 400);
    assert.ok(Date.now() - started >= 350, 'it waited for the timeout');
    assert.is(busy.ok, false);
    if (!busy.ok) {
      assert.is(busy.holder.pid, holder.pid);
      assert.is(busy.holder.host, hostname());
      assert.is(busy.holder.operation, 'apply');
      assert.match(busy.holder.since, /^\d{4}-\d\d-\d\dT/);
    }
    // Another stack is not blocked.
    assert.is((await store.acquireLock('other', 'apply', 0)).ok, true);
    // Waiting succeeds once the holder releases.
    const waiting = store.acquireLock('stk', 'apply', 10_000);
    setTimeout(() => holder.child.stdin!.write('release\n'), 300);
    const got = await waiting;
    assert.is(got.ok, true);
    assert.ok(holder.lines.includes('released'));
  } finally {
    holder.child.kill('SIGKILL');
    store.close();
  }
});

test('a lock left by a killed process on this host is taken over and reported; force-unlock removes any', async () => {
  const path = tempDb();
  const store = openStateStore({ path, lockPollMs: 50 });
  const holder = await startHolder(path, 'stk');
  holder.child.kill('SIGKILL');
  await new Promise((r) => holder.child.once('exit', r));
  const r = await store.acquireLock('stk', 'apply', 1000);
  assert.is(r.ok, true);
  if (r.ok) assert.is(r.takenOver?.pid, holder.pid);
  store.releaseLock('stk');
  // A holder on another host is never taken over; force-unlock removes it.
  const db = new Database(path);
  db.prepare('INSERT INTO locks (stack, pid, host, since, operation) VALUES (?, ?, ?, ?, ?)').run(
    'stk',
    1,
    'elsewhere.example',
    '2026-01-01T00:00:00Z',
    'apply',
  );
  db.close();
  const busy = await store.acquireLock('stk', 'apply', 0);
  assert.is(busy.ok, false);
  assert.equal(store.forceUnlock('stk'), {
    pid: 1,
    host: 'elsewhere.example',
    since: '2026-01-01T00:00:00Z',
    operation: 'apply',
  });
  assert.is((await store.acquireLock('stk', 'apply', 0)).ok, true);
  assert.is(store.forceUnlock('none'), undefined);
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
