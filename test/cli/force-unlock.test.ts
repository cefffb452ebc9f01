// `force-unlock` end to end through bin/contextforge.js against a real lock held by a real
// process: the lock id is required (as Terraform's `force-unlock LOCK_ID`), a holder alive on
// this host is never unlocked, the user confirms on a terminal unless -force, and a dead
// holder's lock goes once both are given. `status` shows the held lock (holder, age, id).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, parseStateLocation } from '../../src/state/open.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/contextforge.js');
const dir = mkdtempSync(join(tmpdir(), 'cf-unlock-'));
const configFile = join(dir, 'contextforge.yaml');
const stateDb = join(dir, '.contextforge/state.db');
const STACK = 'unlock-test';
writeFileSync(
  configFile,
  `name: ${STACK}\nbackends:\n  host:\n    type: process\nruntimes:\n  - name: everything\n    catalog: everything-stdio\n    backend: host\n`,
);

function cli(args: string[], input?: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args, '-f', configFile], {
    encoding: 'utf8',
    input,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs the CLI on a real pseudo-terminal (util-linux `script`), answering `answer` to its question. */
function cliOnTty(args: string[], answer: string): { code: number | null; out: string } {
  const cmd = [process.execPath, bin, ...args, '-f', configFile].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    encoding: 'utf8',
    input: `${answer}\n`,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, out: r.stdout };
}

function startHolder(): Promise<{ child: ChildProcess; pid: number }> {
  const script = fileURLToPath(new URL('../state/lock-holder.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, stateDb, STACK], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      buf += d;
      const m = /^locked (\d+)$/m.exec(buf);
      if (m) resolve({ child, pid: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}: ${buf}`)));
  });
}

function holderId(): string | undefined {
  const store = openStore(parseStateLocation(stateDb));
  try {
    return store.lockHolder(STACK)?.id;
  } finally {
    store.close();
  }
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('force-unlock needs the lock id, refuses a live holder, confirms unless -force', async () => {
  const holder = await startHolder();
  let exited = false;
  holder.child.once('exit', () => (exited = true));
  try {
    const id = holderId();
    assert.ok(id && /^[0-9a-f-]{36}$/.test(id), `the lock has an id: ${id}`);

    // No id: refused, and the message names the holder and the command with its id.
    let r = cli(['force-unlock']);
    assert.is(r.code, 1, r.out + r.err);
    assert.match(r.err, /error\[state\.lock-id\]: force-unlock needs the lock id/);
    assert.ok(r.err.includes(`pid ${holder.pid}`), r.err);
    assert.ok(r.err.includes(`contextforge force-unlock ${id}`), r.err);
    assert.is(holderId(), id, 'still locked');

    // status shows the held lock: its holder, since when, how long, and its id (status itself takes no lock).
    r = cli(['status']);
    assert.is(r.code, 0, r.out + r.err);
    assert.match(
      r.out,
      new RegExp(`Locked by \\w+ \\(pid ${holder.pid} on [^)]+\\) since \\S+, .+ ago; lock id ${id}`),
    );
    r = cli(['status', '--json']);
    assert.is(r.code, 0, r.err);
    const lock = (JSON.parse(r.out) as { lock?: { pid: number; id?: string; since: string } }).lock;
    assert.is(lock?.pid, holder.pid);
    assert.is(lock?.id, id);
    assert.ok(!Number.isNaN(Date.parse(lock!.since)), lock!.since);

    // A wrong id: refused.
    r = cli(['force-unlock', '00000000-0000-0000-0000-000000000000', '-force']);
    assert.is(r.code, 1);
    assert.match(r.err, /has another id than 00000000/);
    assert.is(holderId(), id);

    // The right id, even with -force and on a terminal: the holder is alive on this host.
    r = cli(['force-unlock', id!, '-force']);
    assert.is(r.code, 1, r.out + r.err);
    assert.match(r.err, /error\[state\.lock-alive\]/);
    assert.ok(r.err.includes(`kill ${holder.pid}`), r.err);
    assert.is(holderId(), id);
    assert.is(exited, false, 'the live holder was left alone');

    // The holder dies without releasing (as a crashed run on another host would leave it).
    holder.child.kill('SIGKILL');
    await new Promise((res) => (exited ? res(undefined) : holder.child.once('exit', res)));

    // Without -force and without a terminal: no question can be asked, nothing removed.
    r = cli(['force-unlock', id!], 'yes\n');
    assert.is(r.code, 1);
    assert.match(r.err, /error\[state\.needs-confirmation\]/);
    assert.is(holderId(), id);

    // On a terminal: any answer but `yes` cancels; `yes` removes it.
    let t = cliOnTty(['force-unlock', id!], 'no');
    assert.match(t.out, /Do you really want to remove the lock/);
    assert.is(t.code, 1, t.out);
    assert.is(holderId(), id);
    t = cliOnTty(['force-unlock', id!], 'yes');
    assert.is(t.code, 0, t.out);
    assert.ok(t.out.includes(`Removed the lock of stack ${STACK} held by pid ${holder.pid}`), t.out);
    assert.is(holderId(), undefined);

    // -force skips the question; the audit log records both removals' holder.
    const again = await startHolder();
    const id2 = holderId()!;
    assert.is.not(id2, id, 'each acquisition gets a new id');
    again.child.kill('SIGKILL');
    await new Promise((res) => again.child.once('exit', res));
    r = cli(['force-unlock', id2, '-force']);
    assert.is(r.code, 0, r.out + r.err);
    assert.is(holderId(), undefined);
    r = cli(['events', '--type', 'lock.forced', '--json']);
    const events = JSON.parse(r.out) as { data: { id: string } }[];
    assert.equal(
      events.map((e) => e.data.id),
      [id, id2],
    );
  } finally {
    if (!exited) holder.child.kill('SIGKILL');
  }
});

test.run();
