// Sessions are bounded and nothing leaks: against a real gateway in a child process (run with
// --expose-gc), 5,000 initialize requests the SDK transport refuses (415, 406, 400) leave no
// session and no server behind, and 5,000 sessions opened and abandoned are all closed by the
// idle sweep. Asserted on counts (the table and the downstream_sessions gauge) and on heap
// after GC against a warmed-up baseline; the waits are for the gateway's session-count event.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
const N = 5000;
/** A leak of a Server per session costs tens of KiB (about 40 KiB measured before the fix), so 10,000 leaked would be ~400 MiB. */
const HEAP_BOUND = 24 * 1024 * 1024;
let child: ChildProcess;
let base = '';
let nextId = 1;
const waiting = new Map<number, (m: Record<string, number>) => void>();

function ask(kind: 'mem' | 'zero' | 'stop'): Promise<Record<string, number>> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    child.send({ id, kind });
  });
}

test.before(async () => {
  const script = fileURLToPath(new URL('./support/soak-gateway.ts', import.meta.url));
  child = fork(script, [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: {
      ...process.env,
      SOAK_OPTIONS: JSON.stringify({
        token: TOKEN,
        sessionIdleMs: 1000,
        maxSessions: 2 * N,
        maxSessionsPerPrincipal: 2 * N,
      }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  base = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`soak gateway exited with ${code}`)));
    child.on('message', (raw) => {
      const m = raw as { ready?: string; id?: number };
      if (m.ready) return resolve(m.ready);
      const w = waiting.get(m.id!);
      waiting.delete(m.id!);
      w?.(m as Record<string, number>);
    });
  });
});

test.after(async () => {
  if (child.connected) await ask('stop');
});

const initBody = (id: number): Record<string, unknown> => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'soak', version: '1' } },
});
const good = {
  authorization: `Bearer ${TOKEN}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

/** Three ways the SDK transport refuses an initialize after the gateway allocated a server for it. */
const rejected = [
  { status: 415, headers: { ...good, 'content-type': 'text/plain' }, body: (i: number) => JSON.stringify(initBody(i)) },
  { status: 406, headers: { ...good, accept: 'application/json' }, body: (i: number) => JSON.stringify(initBody(i)) },
  { status: 400, headers: good, body: (i: number) => JSON.stringify([initBody(i), initBody(i + 1)]) },
];

/** Runs `count` tasks with at most `width` in flight. */
async function pool(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function rejectMany(count: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  await pool(count, 16, async (i) => {
    const kind = rejected[i % rejected.length];
    const r = await fetch(`${base}/mcp`, { method: 'POST', headers: kind.headers, body: kind.body(i) });
    await r.text();
    assert.is(r.status, kind.status);
    assert.is(r.headers.get('mcp-session-id'), null);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  });
  return statuses;
}

async function openAndAbandon(count: number): Promise<Set<string>> {
  const ids = new Set<string>();
  await pool(count, 16, async (i) => {
    const r = await fetch(`${base}/mcp`, { method: 'POST', headers: good, body: JSON.stringify(initBody(i)) });
    await r.text();
    assert.is(r.status, 200);
    ids.add(r.headers.get('mcp-session-id')!);
  });
  return ids;
}

test('5,000 refused initializes and 5,000 abandoned sessions leave no session, no server and bounded heap', async () => {
  // Warm-up: module-level caches, JIT and pools are part of the baseline, not of growth.
  await rejectMany(300);
  await openAndAbandon(300);
  await ask('zero');
  const baseline = await ask('mem');
  assert.is(baseline.sessions, 0);
  assert.is(baseline.gauge, 0);

  const statuses = await rejectMany(N);
  assert.equal([...statuses.entries()].sort(), [
    [400, 1666],
    [406, 1667],
    [415, 1667],
  ]);
  const afterRejected = await ask('mem');
  assert.is(afterRejected.sessions, 0, 'a refused initialize opens no session');
  assert.is(afterRejected.gauge, 0, 'a refused initialize leaves no server in the downstream_sessions gauge');

  const ids = await openAndAbandon(N);
  assert.is(ids.size, N, 'every initialize got its own session');
  await ask('zero');
  const after = await ask('mem');
  assert.is(after.sessions, 0, 'idle sweep closed every abandoned session');
  assert.is(after.gauge, 0, 'every closed session left the downstream_sessions gauge');
  const growth = after.heapUsed - baseline.heapUsed;
  assert.ok(
    growth < HEAP_BOUND,
    `heap grew ${(growth / 1048576).toFixed(1)} MiB over ${2 * N} initializes (bound ${HEAP_BOUND / 1048576} MiB)`,
  );
  console.log(
    `soak: heap after GC ${(baseline.heapUsed / 1048576).toFixed(1)} → ${(after.heapUsed / 1048576).toFixed(1)} MiB over ${2 * N} initializes`,
  );
});

test.run();
