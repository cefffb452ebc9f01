// 100,000 calls leave nothing behind: against a real gateway in a child process (--expose-gc)
// fronting an SDK server over Streamable HTTP and server-everything over stdio, each path (50,000)
// takes sequential calls then calls 32 at a time, every one checked for its own echo. Asserted on
// counts after GC against a warmed-up baseline: abort listeners still attached to live signals
// (so no per-call listener piles up on a long-lived signal), the most on any one signal at any
// moment, heap
// growth, and the absence of MaxListenersExceededWarning (or any warning). No timings.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pool } from 'undici';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
/** Calls per upstream path (two paths: 100,000 in all); CALL_SOAK_CALLS makes a quicker local run. */
const CALLS = Number(process.env.CALL_SOAK_CALLS ?? 50_000);
const SEQUENTIAL = Math.round(CALLS / 5);
const WIDTH = 32;
const WARM_UP = Math.min(10_000, CALLS);
/** A per-call leak of even 200 bytes would be 10 MB per path; a listener per call, 50,000. */
const HEAP_BOUND = 16 * 1024 * 1024;
const LISTENER_SLACK = 16;

type Probe = { heapUsed: number; signals: number; listeners: number; most: number; peak: number; warnings: string[] };
let child: ChildProcess;
let pool: Pool;
let nextId = 1;
const waiting = new Map<number, (m: unknown) => void>();

function ask<T>(kind: 'probe' | 'stop'): Promise<T> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve as (m: unknown) => void);
    child.send({ id, kind });
  });
}

test.before(async () => {
  const script = fileURLToPath(new URL('./support/listener-soak-gateway.ts', import.meta.url));
  child = fork(script, [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, SOAK_TOKEN: TOKEN },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`soak gateway exited with ${code}`)));
    child.on('message', (raw) => {
      const m = raw as { ready?: string; id?: number };
      if (m.ready) return resolve(m.ready);
      const w = waiting.get(m.id!);
      waiting.delete(m.id!);
      w?.(m);
    });
  });
  pool = new Pool(base, { connections: WIDTH });
});

test.after(async () => {
  await pool?.close();
  if (child?.connected) await ask('stop');
});

const headers = (sid?: string): Record<string, string> => ({
  authorization: `Bearer ${TOKEN}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(sid ? { 'mcp-session-id': sid, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION } : {}),
});

async function post(sid: string | undefined, body: unknown): Promise<{ status: number; sid?: string; text: string }> {
  const r = await pool.request({ path: '/mcp', method: 'POST', headers: headers(sid), body: JSON.stringify(body) });
  const text = await r.body.text();
  return { status: r.statusCode, sid: r.headers['mcp-session-id'] as string | undefined, text };
}

/** A downstream session, initialized as an SDK client would. */
async function session(): Promise<string> {
  const init = await post(undefined, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'soak', version: '1' } },
  });
  assert.is(init.status, 200, init.text);
  const sid = init.sid!;
  assert.is((await post(sid, { jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
  return sid;
}

/** One tools/call of echo; returns false unless the answer is this call's own echo. */
async function echo(sid: string, tool: string, i: number): Promise<boolean> {
  const message = `m-${i}`;
  const r = await post(sid, {
    jsonrpc: '2.0',
    id: i,
    method: 'tools/call',
    params: { name: tool, arguments: { message } },
  });
  if (r.status !== 200) return false;
  // Plain JSON for a request without a progress token; an SSE body carries the same message as data.
  const json = r.text.startsWith('{') ? r.text : (/^data: (.*)$/m.exec(r.text)?.[1] ?? '');
  const m = JSON.parse(json) as { id?: number; result?: { content?: { text?: string }[] } };
  return m.id === i && m.result?.content?.[0]?.text === `Echo: ${message}`;
}

async function run(sid: string, tool: string, count: number, width: number, from: number): Promise<number> {
  let next = 0;
  let wrong = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const i = from + next++;
        if (!(await echo(sid, tool, i))) wrong++;
      }
    }),
  );
  return wrong;
}

test(`${(2 * CALLS).toLocaleString('en')} calls over both upstream paths (HTTP, stdio) keep listener counts and heap flat`, async () => {
  const sid = await session();
  // Warm-up: links, pools, JIT and caches belong to the baseline, not to growth. The heap after
  // GC climbs by a few MiB over the first tens of thousands of calls, whichever path takes them,
  // and then stays (or falls back): measured from a warm baseline, growth is what leaks.
  for (const tool of ['http__echo', 'stdio__echo']) {
    assert.is(await run(sid, tool, 200, 1, 1), 0);
    assert.is(await run(sid, tool, WARM_UP, WIDTH, 1000), 0);
  }
  const before = await ask<Probe>('probe');
  let id = 1000 + WARM_UP;
  const heaps: string[] = [];
  for (const tool of ['http__echo', 'stdio__echo']) {
    assert.is(await run(sid, tool, SEQUENTIAL, 1, id), 0, `${tool}: every sequential call got its own answer`);
    id += SEQUENTIAL;
    const concurrent = await run(sid, tool, CALLS - SEQUENTIAL, WIDTH, id);
    assert.is(concurrent, 0, `${tool}: every concurrent call got its own answer`);
    id += CALLS - SEQUENTIAL;
    heaps.push(`after ${tool} ${((await ask<Probe>('probe')).heapUsed / 1048576).toFixed(1)} MiB`);
  }
  const after = await ask<Probe>('probe');
  console.log(
    `call soak: ${2 * CALLS} calls; abort listeners on live signals ${before.listeners} → ${after.listeners} ` +
      `(${before.signals} → ${after.signals} signals, most on one ${after.most}, peak ${after.peak}); ` +
      `heap after GC ${(before.heapUsed / 1048576).toFixed(1)} MiB, ${heaps.join(', ')}`,
  );
  assert.equal(after.warnings, [], 'no process warning (MaxListenersExceededWarning among them)');
  assert.ok(
    after.listeners - before.listeners <= LISTENER_SLACK,
    `abort listeners grew from ${before.listeners} to ${after.listeners}`,
  );
  assert.ok(after.most <= 10, `one signal holds ${after.most} abort listeners`);
  // Node warns past 10; a listener per call in flight on a session-wide signal would reach WIDTH.
  assert.ok(after.peak <= 10, `one signal held ${after.peak} abort listeners at once`);
  const growth = after.heapUsed - before.heapUsed;
  assert.ok(growth < HEAP_BOUND, `heap grew ${(growth / 1048576).toFixed(1)} MiB (bound ${HEAP_BOUND / 1048576} MiB)`);
});

test.run();
