// One contract for every state store, run against SQLite and a real PostgreSQL server: records
// round-trip, the audit log refuses edits, approvals are decided once, the change counter moves
// when another connection writes, the stack lock is exclusive across processes and is freed by
// kill -9 of its holder, and no secret value reaches the database.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, parseStateLocation, type OpenedStore } from '../../src/state/open.js';
import { applyPlan } from '../../src/apply/engine.js';
import { scenario } from '../plan/plan-scenario.js';
import { TEST_SECRET } from '../plan/config-builder.js';
import type { Backend } from '../../src/backends/backend.js';
import { NO_CAPABILITIES } from '../../src/model/capabilities.js';
import { dropDatabase, freshDatabase, requirePostgres, sql } from '../support/postgres.js';

interface Kind {
  name: 'sqlite' | 'postgres';
  /** A new, empty store location (path or URL). */
  fresh(): Promise<string>;
  /** Runs a statement on a separate connection; rejects when the database refuses it. */
  raw(loc: string, statement: string): Promise<void>;
  /** Every text the database holds, for the secret check. */
  dump(loc: string): Promise<string>;
  cleanup(): Promise<void>;
}

const tmpDirs: string[] = [];
const databases: string[] = [];

const sqliteKind: Kind = {
  name: 'sqlite',
  fresh: async () => {
    const d = mkdtempSync(join(tmpdir(), 'cf-contract-'));
    tmpDirs.push(d);
    return join(d, 'state.db');
  },
  raw: async (loc, statement) => {
    const db = new Database(loc);
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
  },
  dump: async (loc) => {
    // The files' own bytes too (the database, and its WAL and shared-memory files while they
    // exist): a value deleted or overwritten in a table can still sit in a page or the WAL.
    const files = readdirSync(dirname(loc)).map((f) => readFileSync(join(dirname(loc), f)).toString('latin1'));
    const db = new Database(loc);
    try {
      const tables = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
      ).map((t) => t.name);
      return [...tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all())), ...files].join('\n');
    } finally {
      db.close();
    }
  },
  cleanup: async () => {
    for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  },
};

const postgresKind: Kind = {
  name: 'postgres',
  fresh: async () => {
    const url = await freshDatabase('cf_contract');
    databases.push(url);
    return url;
  },
  raw: async (loc, statement) => {
    await sql(loc, statement);
  },
  dump: async (loc) => {
    const tables = (await sql(loc, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows.map(
      (r: { tablename: string }) => r.tablename,
    );
    const out: string[] = [];
    for (const t of tables) out.push(JSON.stringify((await sql(loc, `SELECT * FROM "${t}"`)).rows));
    return out.join('\n');
  },
  cleanup: async () => {
    for (const u of databases) await dropDatabase(u);
  },
};

function startHolder(loc: string, stack: string): Promise<{ child: ChildProcess; pid: number; lines: string[] }> {
  const script = fileURLToPath(new URL('./lock-holder.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, loc, stack], {
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

const open = (loc: string, redact?: (t: string) => string): OpenedStore =>
  openStore(parseStateLocation(loc), { redact, lockPollMs: 50 });

function contract(kind: Kind, ready = true): void {
  // Without a server (outside CI) each test is registered as skipped, so the count shows it.
  const t = (name: string, fn: () => Promise<void>): void => (ready ? test : test.skip)(`[${kind.name}] ${name}`, fn);

  t('runtimes, runs and events round-trip; the audit log refuses updates and deletes', async () => {
    const loc = await kind.fresh();
    const store = open(loc);
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
    store.putRuntime({
      stack: 's',
      address: d.address,
      runtime: d.runtime,
      backend: 'local',
      backendType: 'docker',
      specHash: 'sha256:other',
      spec: d.spec,
      status: 'running',
      warnings: [],
      appliedAt: 't2',
    });
    assert.is(store.getRuntime('s', d.address)!.specHash, 'sha256:other', 'a second put updates');
    assert.equal(store.getRuntime('s', d.address)!.spec, d.spec);
    assert.is(store.listRuntimes('s').length, 1);
    assert.equal(store.listRuntimes('other'), []);
    const run = store.startRun('s', 'apply', { actor: 'me' });
    assert.type(run, 'number');
    store.finishRun(run, 'success', { create: 1 });
    const [last] = store.listRuns('s');
    assert.equal(last, {
      id: run,
      stack: 's',
      kind: 'apply',
      startedAt: last.startedAt,
      finishedAt: last.finishedAt,
      outcome: 'success',
      summary: { create: 1 },
      meta: { actor: 'me' },
    });
    store.appendEvent({ stack: 's', type: 'apply.created', address: d.address, data: { n: 1 } });
    store.appendEvent({ stack: 's', type: 'guardrail.warning', address: d.address, actor: 'ci' });
    store.appendEvent({ stack: 's', type: 'apply.deleted', address: 'runtime.y' });
    assert.equal(
      store.listEvents('s').map((e) => e.type),
      ['apply.created', 'guardrail.warning', 'apply.deleted'],
    );
    assert.equal(
      store.listEvents('s', { type: 'apply.*' }).map((e) => e.type),
      ['apply.created', 'apply.deleted'],
    );
    assert.equal(
      store.listEvents('s', { address: 'runtime.y' }).map((e) => e.type),
      ['apply.deleted'],
    );
    assert.equal(
      store.listEvents('s', { limit: 1 }).map((e) => e.type),
      ['apply.deleted'],
      'the limit keeps the newest',
    );
    assert.is(store.listEvents('s')[1].actor, 'ci');
    store.deleteRuntime('s', d.address);
    assert.is(store.getRuntime('s', d.address), undefined);
    store.close();
    for (const statement of ["UPDATE events SET type = 'x'", 'DELETE FROM events']) {
      const refused = await kind.raw(loc, statement).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(refused && /append-only/.test(refused.message), `${statement} is refused`);
    }
    const again = open(loc);
    assert.is(again.listEvents('s').length, 3, 'the log is intact');
    again.close();
  });

  t('approvals: create, list by status, decide exactly once', async () => {
    const store = open(await kind.fresh());
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
    store.createApproval({ ...rec, id: 'ap2', requestedAt: '2026-01-02T00:00:00Z' });
    assert.equal(
      store.listApprovals('s', 'pending').map((a) => a.id),
      ['ap1', 'ap2'],
    );
    assert.equal(store.getApproval('ap1'), rec);
    const decided = store.decideApproval('ap1', { status: 'approved', by: 'sec', note: 'ok' })!;
    assert.is(decided.status, 'approved');
    assert.is(decided.decidedBy, 'sec');
    assert.is(decided.note, 'ok');
    assert.is(
      store.decideApproval('ap1', { status: 'rejected', by: 'x' }),
      undefined,
      'a decided approval stays decided',
    );
    assert.equal(
      store.listApprovals('s', 'pending').map((a) => a.id),
      ['ap2'],
    );
    assert.is(store.listApprovals('s').length, 2);
    store.close();
  });

  t('the change counter moves when another connection writes', async () => {
    const loc = await kind.fresh();
    const reader = open(loc);
    const writer = open(loc);
    const before = reader.version();
    writer.putRuntime({
      stack: 's',
      address: 'runtime.a',
      runtime: 'a',
      backend: 'b',
      backendType: 'docker',
      specHash: 'h',
      spec: {} as never,
      status: 'running',
      warnings: [],
      appliedAt: 't',
    });
    assert.is.not(reader.version(), before);
    const mid = reader.version();
    assert.is(reader.version(), mid, 'stable while nobody writes');
    writer.close();
    reader.close();
  });

  t('a second process waits for the lock, fails naming the holder, and gets it after release', async () => {
    const loc = await kind.fresh();
    const store = open(loc);
    const holder = await startHolder(loc, 'stk');
    try {
      const started = Date.now();
      const busy = await store.acquireLock('stk', 'apply', 400);
      assert.ok(Date.now() - started >= 350, 'it waited for its timeout before giving up');
      assert.is(busy.ok, false);
      if (!busy.ok) {
        assert.is(busy.holder.pid, holder.pid);
        assert.is(busy.holder.host, hostname());
        assert.is(busy.holder.operation, 'apply');
        assert.match(busy.holder.since, /^\d{4}-\d\d-\d\dT/);
      }
      assert.is((await store.acquireLock('other', 'apply', 0)).ok, true, 'another stack is not blocked');
      const waiting = store.acquireLock('stk', 'apply', 30_000);
      // 'close' comes once the holder has exited and its stdout is read to the end.
      const closed = new Promise<number | null>((r) => holder.child.once('close', r));
      holder.child.stdin!.write('release\n');
      const got = await waiting;
      assert.is(got.ok, true);
      // The lock can be ours before the holder's "released" line reaches us: wait for its end.
      assert.is(await closed, 0, 'the holder exited after releasing');
      assert.ok(holder.lines.includes('released'), 'the holder released it (we did not take it over)');
      if (got.ok) assert.is(got.takenOver, undefined, 'a released lock is not a take-over');
    } finally {
      holder.child.kill('SIGKILL');
      store.close();
    }
  });

  t('kill -9 of the holder frees the lock: the next taker reports the take-over; force-unlock works', async () => {
    const loc = await kind.fresh();
    const store = open(loc);
    const holder = await startHolder(loc, 'stk');
    holder.child.kill('SIGKILL');
    await new Promise((r) => holder.child.once('exit', r));
    // PostgreSQL notices the closed connection asynchronously: wait for it (bounded).
    const r = await store.acquireLock('stk', 'apply', 30_000);
    assert.is(r.ok, true, JSON.stringify(r));
    if (r.ok) assert.is(r.takenOver?.pid, holder.pid);
    store.releaseLock('stk');
    // A live holder in another process: force-unlock removes it and names it.
    const second = await startHolder(loc, 'stk');
    try {
      assert.is((await store.acquireLock('stk', 'apply', 0)).ok, false);
      // Only the acquisition named by its id is removed; each acquisition has its own.
      const id = store.lockHolder('stk')?.id;
      assert.ok(id, 'the holder row carries a lock id');
      assert.is(store.forceUnlock('stk', 'not-that-one'), undefined);
      assert.is(store.lockHolder('stk')?.pid, second.pid);
      assert.is(store.forceUnlock('stk', id)?.pid, second.pid);
      assert.is((await store.acquireLock('stk', 'apply', 30_000)).ok, true);
      assert.is(store.forceUnlock('none'), undefined);
    } finally {
      second.child.kill('SIGKILL');
      store.close();
    }
  });

  t('applying a plan with secrets never writes a secret value to the database', async () => {
    const loc = await kind.fresh();
    const store = open(loc, (x) => x.split(TEST_SECRET).join('(sensitive)'));
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
    const r = await applyPlan({
      plan,
      backends: { local: echoBackend, procs: echoBackend },
      store,
      approvedBy: ['security-team'],
      retry: { attempts: 1 },
    });
    assert.is(r.exitCode, 0, JSON.stringify(r.diags));
    assert.ok(store.listRuntimes('demo').length >= 4, 'runtimes were recorded');
    assert.ok(store.listEvents('demo').some((e) => e.type === 'guardrail.warning'));
    store.close();
    const all = await kind.dump(loc);
    assert.ok(all.includes('runtime.'), 'the dump holds the records');
    assert.not.ok(all.includes(TEST_SECRET), 'no secret value in the database');
  });
}

/** A trigger that makes every insert into events fail, as a damaged events page would. */
function failEvents(kind: Kind): string[] {
  return kind.name === 'sqlite'
    ? ["CREATE TRIGGER cf_fail BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'events page damaged'); END"]
    : [
        "CREATE FUNCTION cf_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'events page damaged'; END $$ LANGUAGE plpgsql",
        'CREATE TRIGGER cf_fail BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION cf_fail()',
      ];
}

function outcomeContract(kind: Kind, ready = true): void {
  const t = (name: string, fn: () => Promise<void>): void => (ready ? test : test.skip)(`[${kind.name}] ${name}`, fn);

  t(
    'an outcome and its audit event land together; a failed write fails the apply (exit 1, the store named)',
    async () => {
      const loc = await kind.fresh();
      const store = open(loc);
      store.close();
      for (const st of failEvents(kind)) await kind.raw(loc, st);
      const broken = open(loc);
      const { plan } = scenario();
      const created = plan.changes.filter((c) => c.action === 'create');
      assert.ok(created.length > 0);
      const backend: Backend = {
        describe: () => ({ name: 'echo', kind: 'docker', capabilities: NO_CAPABILITIES }),
        validate: () => [],
        observe: async () => ({ value: [], diags: [] }),
        plan: () => {
          throw new Error('not used');
        },
        apply: async (c) => ({
          status: 'created',
          observed: {
            address: c.address,
            runtime: c.desired!.runtime,
            backend: c.backend,
            specHash: c.desired!.specHash,
            live: {},
            status: 'running',
            endpoint: { transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp' },
          },
          diags: [],
        }),
      };
      const only = {
        ...plan,
        changes: created,
        summary: { ...plan.summary, update: 0, replace: 0, delete: 0, noop: 0 },
      };
      delete only.forget;
      const r = await applyPlan({
        plan: only,
        backends: { local: backend, procs: backend },
        store: broken,
        approvedBy: ['security-team'],
        retry: { attempts: 1 },
      });
      assert.is(r.exitCode, 1, 'the apply fails when its outcomes cannot be recorded');
      const d = r.diags.find((x) => x.code === 'state.write-failed');
      assert.ok(d, JSON.stringify(r.diags));
      assert.ok(d!.summary.includes(broken.location), `${d!.summary} names ${broken.location}`);
      assert.match(d!.summary, /events page damaged/);
      assert.match(d!.detail ?? '', /run `contextforge apply` again/);
      // Each action failed for want of a record, or waited on one that did.
      assert.ok(
        r.results.every((x) => x.status === 'failed' || x.status === 'skipped'),
        JSON.stringify(r.results),
      );
      assert.ok(r.results.some((x) => x.status === 'failed'));
      // Neither half of any outcome landed: no record without its event.
      for (const c of created)
        assert.is(broken.getRuntime(plan.stack, c.address), undefined, `${c.address} not recorded`);
      broken.close();
    },
  );
}

contract(sqliteKind);
outcomeContract(sqliteKind);
const pgReady = await requirePostgres('state store contract (postgres)');
contract(postgresKind, pgReady);
outcomeContract(postgresKind, pgReady);

test.after(async () => {
  await sqliteKind.cleanup();
  if (pgReady) await postgresKind.cleanup();
});

test.run();
