// `contextforge state migrate --to postgres://...` copies a SQLite state (runtimes, runs, events,
// approvals) into an empty PostgreSQL database without loss: the CLI compares counts, and this
// test compares the records themselves; a second migrate into the same database is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../../src/state/open.js';
import { dropDatabase, freshDatabase, requirePostgres } from '../support/postgres.js';

const ready = await requirePostgres('state migrate (postgres)');
const BIN = resolve('bin/contextforge.js');
const dirs: string[] = [];
const dbs: string[] = [];

function cli(args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

(ready ? test : test.skip)('a SQLite state is copied to PostgreSQL with equal counts and equal records', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-migrate-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'contextforge.yaml'), 'name: migrate-demo\n');
  const path = join(dir, '.contextforge', 'state.db');
  const src = openStore({ backend: 'sqlite', path });
  for (const stack of ['migrate-demo', 'other']) {
    for (let i = 0; i < 3; i++) {
      const run = src.startRun(stack, 'apply', { actor: `u${i}` });
      src.appendEvent({ stack, type: 'apply.created', address: `runtime.r${i}`, data: { i } });
      src.putRuntime({
        stack,
        address: `runtime.r${i}`,
        runtime: `r${i}`,
        backend: 'local',
        backendType: 'docker',
        specHash: `h${i}`,
        spec: {} as never,
        status: 'running',
        warnings: [],
        appliedAt: 't',
      });
      src.finishRun(run, 'success', { create: 1 });
    }
    src.createApproval({
      id: `${stack}-ap`,
      stack,
      address: 'runtime.r0',
      specHash: 'h0',
      status: 'pending',
      reasons: ['r'],
      approvers: [['sec']],
      request: {},
      requestedAt: '2026-01-01T00:00:00Z',
      expiresAt: '2026-01-02T00:00:00Z',
    });
  }
  src.decideApproval('other-ap', { status: 'approved', by: 'sec' });
  const url = await freshDatabase('cf_migrate');
  dbs.push(url);

  const r = cli(['state', 'migrate', '--to', url], dir);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /runs\s+6 in .*\s+6 in /);
  assert.match(r.out, /events\s+6 in .*\s+6 in /);
  assert.match(r.out, 'counts are equal');

  const dst = openStore({ backend: 'postgres', url });
  try {
    for (const stack of ['migrate-demo', 'other']) {
      assert.equal(dst.listRuns(stack), src.listRuns(stack), `runs of ${stack}`);
      assert.equal(dst.listEvents(stack), src.listEvents(stack), `events of ${stack}`);
      assert.equal(dst.listApprovals(stack), src.listApprovals(stack), `approvals of ${stack}`);
      assert.equal(dst.listRuntimes(stack), src.listRuntimes(stack), `runtimes of ${stack}`);
    }
    // New rows continue after the copied ids.
    const next = dst.startRun('other', 'plan');
    assert.ok(next > Math.max(...src.listRuns('other').map((x) => x.id)), 'the id sequence moved past the copied rows');
  } finally {
    dst.close();
    src.close();
  }

  const again = cli(['state', 'migrate', '--from', path, '--to', url], dir);
  assert.is(again.code, 1, again.out);
  assert.match(again.out, 'already holds state');
  const bad = cli(['state', 'migrate', '--to', join(dir, 'x.db')], dir);
  assert.is(bad.code, 1);
  assert.match(bad.out, 'needs --to postgres://');
});

test.after(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const u of dbs) await dropDatabase(u);
});

test.run();
