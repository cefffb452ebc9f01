// The process backend against real child processes: create → observe → the quick-start server
// reached through the supervisor's socket with the SDK Client → crash restart → drift repair →
// delete leaves no process; secret env reaches the child but no file on disk.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  createProcessBackend,
  pidAlive,
  readStatus,
  runtimeFiles,
  processDir,
} from '../../../src/backends/process/index.js';
import { processSocketConnector } from '../../../src/host/process-connector.js';
import type { Backend, ApplyContext } from '../../../src/backends/backend.js';
import type { Change, DesiredResource, ObservedResource } from '../../../src/model/resources.js';
import { commandRuntime } from '../../support/process.js';
import { until } from '../../support/wait.js';

const SERVER = resolve('examples/quickstart-server/server.js');
const SECRET = `s3cret-${randomBytes(8).toString('hex')}`;
const stack = `pt${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'cf-process-'));
const pids = new Set<number>();
let firstSessionPid = 0;

function desired(
  runtime: string,
  over: Partial<{ command: string; args: string[]; hash: string }> = {},
): DesiredResource {
  return commandRuntime(runtime, {
    command: over.command ?? 'node',
    args: over.args ?? [SERVER],
    env: { QUICKSTART_GREETING: 'Hi' },
    secretDigests: { API_TOKEN: 'digest-only' },
    secretEnv: { API_TOKEN: SECRET },
    specHash: over.hash ?? 'hash-1',
  });
}

/** The supervisor's state, polled every 50 ms for at most `ms`. */
const waitFor = <T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 10_000,
): Promise<T> => until(fn, ms, what, 50);

const ctx = (): ApplyContext => ({ stack, signal: new AbortController().signal, progress: () => undefined });

const backend: Backend = createProcessBackend(
  'local',
  { type: 'process', restart: { max_restarts: 3, backoff_initial: '100ms', backoff_max: '400ms' } },
  { configDir: dir, stack },
);

async function observeOne(runtime: string): Promise<ObservedResource | undefined> {
  const r = await backend.observe(stack);
  assert.equal(r.diags, []);
  return r.value!.find((o) => o.runtime === runtime);
}

async function connect(socketPath: string): Promise<Client> {
  const client = new Client({ name: 'process-test', version: '0' });
  await client.connect(await processSocketConnector(socketPath).connect());
  return client;
}

function track(o: ObservedResource | undefined): void {
  for (const k of ['supervisorPid', 'childPid'] as const) {
    const p = o?.native?.[k];
    if (typeof p === 'number') pids.add(p);
  }
}

test('create starts a supervised child reachable through the socket', async () => {
  const d = desired('alpha');
  const plan = backend.plan(d, undefined);
  assert.is(plan.action, 'create');
  const out = await backend.apply(plan, ctx());
  assert.is(out.status, 'created', JSON.stringify(out.diags));
  track(out.observed);
  const o = await observeOne('alpha');
  assert.ok(o);
  track(o);
  assert.is(o!.status, 'running');
  assert.is(o!.specHash, 'hash-1');
  assert.is(o!.endpoint?.attach?.kind, 'process');
  assert.is(backend.plan(d, o).action, 'noop');

  const socketPath = (o!.endpoint!.attach as { socketPath: string }).socketPath;
  const client = await connect(socketPath);
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.equal(tools, ['add', 'echo', 'time']);
    const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
    assert.equal(sum.content, [{ type: 'text', text: '42' }]);
    const echo = await client.callTool({ name: 'echo', arguments: { message: 'via socket' } });
    assert.equal(echo.content, [{ type: 'text', text: 'via socket' }]);
    const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
    assert.match(JSON.stringify(prompt.messages), 'Hi, Ada!');
    const about = await client.readResource({ uri: 'quickstart://about' });
    const info = JSON.parse((about.contents[0] as { text: string }).text) as { pid: number };
    const st = readStatus(runtimeFiles(processDir(dir, stack), 'alpha').status)!;
    assert.equal(st.sessionPids, [info.pid], 'the session talks to the recorded session child');
    assert.ok(st.childPid && st.childPid !== info.pid, 'a warm child waits for the next session');
    firstSessionPid = info.pid;

    // The secret reaches the child's environment …
    const environ = readFileSync(`/proc/${info.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes(`API_TOKEN=${SECRET}`));
    assert.ok(environ.includes('QUICKSTART_GREETING=Hi'));
    // … and no file the backend wrote.
    for (const f of readdirSync(processDir(dir, stack))) {
      if (f.endsWith('.sock')) continue;
      assert.not.ok(readFileSync(join(processDir(dir, stack), f), 'utf8').includes(SECRET), `${f} contains the secret`);
    }

    // A second concurrent connection gets its own child: one server process per session.
    const second = await connect(socketPath);
    try {
      const other = JSON.parse(
        ((await second.readResource({ uri: 'quickstart://about' })).contents[0] as { text: string }).text,
      ) as { pid: number };
      assert.is.not(other.pid, info.pid);
      track({ native: { childPid: other.pid } } as unknown as ObservedResource);
      const during = readStatus(runtimeFiles(processDir(dir, stack), 'alpha').status)!;
      assert.equal([...(during.sessionPids ?? [])].sort(), [info.pid, other.pid].sort());
    } finally {
      await second.close();
    }
    assert.equal((await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } })).content, [
      { type: 'text', text: '2' },
    ]);
  } finally {
    await client.close();
  }
});

test('a new connection gets a fresh child', async () => {
  const files = runtimeFiles(processDir(dir, stack), 'alpha');
  const client = await waitFor('a connection', async () => connect(files.socket).catch(() => undefined));
  try {
    const about = await client.readResource({ uri: 'quickstart://about' });
    const info = JSON.parse((about.contents[0] as { text: string }).text) as { pid: number };
    assert.ok(firstSessionPid > 0);
    assert.is.not(info.pid, firstSessionPid);
    assert.not.ok(pidAlive(firstSessionPid), "the first session's child was retired");
    track({ native: { childPid: info.pid } } as unknown as ObservedResource);
    assert.is(readStatus(files.status)!.restarts, 0, 'a replaced session child is not a crash');
  } finally {
    await client.close();
  }
});

test('the supervisor restarts a crashed child and counts the restart', async () => {
  const files = runtimeFiles(processDir(dir, stack), 'alpha');
  const st = await waitFor('a running child', () => {
    const s = readStatus(files.status);
    return s?.state === 'running' && s.childPid ? s : undefined;
  });
  process.kill(st.childPid!, 'SIGKILL');
  const after = await waitFor('a restarted child', () => {
    const s = readStatus(files.status);
    return s?.state === 'running' && s.childPid && s.childPid !== st.childPid ? s : undefined;
  });
  track({ native: { childPid: after.childPid } } as unknown as ObservedResource);
  assert.is(after.restarts, 1);
  assert.is(after.lastExit?.signal, 'SIGKILL');
  assert.is(after.supervisorPid, st.supervisorPid, 'the supervisor itself survived');
  const client = await connect(files.socket);
  try {
    assert.equal((await client.callTool({ name: 'add', arguments: { a: 3, b: 4 } })).content, [
      { type: 'text', text: '7' },
    ]);
    // A session child that dies ends its session; the client sees the transport close.
    const sessionPid = readStatus(files.status)!.sessionPids![0];
    track({ native: { childPid: sessionPid } } as unknown as ObservedResource);
    const closed = new Promise<void>((r) => (client.onclose = () => r()));
    process.kill(sessionPid, 'SIGKILL');
    await closed;
    assert.is(readStatus(files.status)!.restarts, 2);
  } finally {
    await client.close();
  }
  const again = await connect(files.socket);
  try {
    assert.equal((await again.callTool({ name: 'echo', arguments: { message: 'back' } })).content, [
      { type: 'text', text: 'back' },
    ]);
  } finally {
    await again.close();
  }
});

test('a dead supervisor is drift: update restarts it', async () => {
  const o = (await observeOne('alpha'))!;
  process.kill(o.native!.supervisorPid as number, 'SIGKILL');
  await waitFor('the supervisor to die', () => !pidAlive(o.native!.supervisorPid as number));
  const dead = (await observeOne('alpha'))!;
  assert.is(dead.status, 'exited');
  assert.is(dead.endpoint, undefined);
  const change = backend.plan(desired('alpha'), dead);
  assert.is(change.action, 'update');
  assert.is(change.reason, 'update:drift-stopped');
  const out = await backend.apply(change, ctx());
  assert.is(out.status, 'updated', JSON.stringify(out.diags));
  track(out.observed);
  assert.is((await observeOne('alpha'))!.status, 'running');
  // The orphaned child of the killed supervisor was cleaned up by the restart.
  assert.not.ok(pidAlive(o.native!.childPid as number));
});

test('a spec change is a replace with a new spec hash', async () => {
  const o = (await observeOne('alpha'))!;
  const d = desired('alpha', { hash: 'hash-2', args: [SERVER, '--unused-flag'] });
  const change = backend.plan(d, o);
  assert.is(change.action, 'replace');
  assert.ok(
    change.fields.some((f) => f.path.startsWith('source.args')),
    JSON.stringify(change.fields),
  );
  const out = await backend.apply(change, ctx());
  assert.is(out.status, 'updated', JSON.stringify(out.diags));
  track(out.observed);
  assert.is((await observeOne('alpha'))!.specHash, 'hash-2');
  assert.not.ok(pidAlive(o.native!.supervisorPid as number), 'the old supervisor is gone');
});

test('a command that exits at once fails the apply and leaves nothing running', async () => {
  const d = desired('crasher', { args: ['-e', 'console.error("boom: bad config"); process.exit(3)'] });
  const out = await backend.apply(backend.plan(d, undefined), ctx());
  assert.is(out.status, 'failed');
  const msg = out.diags.map((x) => x.summary).join('\n');
  assert.match(msg, 'code 3');
  assert.match(msg, 'boom: bad config');
  const o = await observeOne('crasher');
  assert.ok(!o || o.status !== 'running');
  if (o) assert.not.ok(pidAlive(o.native!.supervisorPid as number));
});

test('a command that runs but does not speak MCP fails the health check', async () => {
  const impatient = createProcessBackend(
    'local',
    { type: 'process' },
    { configDir: dir, stack, healthTimeoutMs: 1500 },
  );
  const d = desired('silent', { args: ['-e', 'setInterval(() => {}, 1000)'] });
  const out = await impatient.apply(impatient.plan(d, undefined), ctx());
  assert.is(out.status, 'failed');
  assert.match(out.diags[0].summary, 'did not answer the MCP initialize request within 2s');
  const o = await observeOne('silent');
  if (o) assert.not.ok(pidAlive(o.native!.supervisorPid as number), 'the failed launch was stopped');
});

test('a command that does not exist is a clear failure', async () => {
  const d = desired('missing', { command: `no-such-command-${randomBytes(3).toString('hex')}` });
  const out = await backend.apply(backend.plan(d, undefined), ctx());
  assert.is(out.status, 'failed');
  assert.match(out.diags[0].summary, 'could not be started');
  assert.match(out.diags[0].summary, 'ENOENT');
});

test('restart: no — a crash ends the runtime; observe reports it failed and plan restarts it', async () => {
  const d = desired('once');
  d.spec.restart = 'no';
  const out = await backend.apply(backend.plan(d, undefined), ctx());
  assert.is(out.status, 'created', JSON.stringify(out.diags));
  track(out.observed);
  const o = (await observeOne('once'))!;
  process.kill(o.native!.childPid as number, 'SIGKILL');
  await waitFor('the supervisor to give up', () => !pidAlive(o.native!.supervisorPid as number));
  const dead = (await observeOne('once'))!;
  assert.is(dead.status, 'failed');
  assert.is(dead.endpoint, undefined);
  assert.is(backend.plan(d, dead).reason, 'update:drift-stopped');
  assert.match(readFileSync(runtimeFiles(processDir(dir, stack), 'once').log, 'utf8'), 'giving up after 0 restart(s)');
  assert.is((await backend.apply(backend.plan(undefined, dead), ctx())).status, 'deleted');
});

test('a cleaned-away status file is written again; a newer launch retires the orphaned supervisor', async () => {
  const d = desired('ghost');
  const out = await backend.apply(backend.plan(d, undefined), ctx());
  assert.is(out.status, 'created', JSON.stringify(out.diags));
  track(out.observed);
  const files = runtimeFiles(processDir(dir, stack), 'ghost');
  const first = readStatus(files.status)!;
  rmSync(files.status);
  const back = await waitFor('the status file to come back', () => readStatus(files.status), 10_000);
  assert.is(back.launchId, first.launchId);
  assert.is((await observeOne('ghost'))!.status, 'running');

  // Lost again, and this time a new launch comes first: the newer launch wins.
  rmSync(files.status);
  const again = await backend.apply(backend.plan(d, undefined), ctx());
  assert.is(again.status, 'created', JSON.stringify(again.diags));
  track(again.observed);
  await waitFor('the orphaned supervisor to stop', () => !pidAlive(first.supervisorPid), 15_000);
  const now = readStatus(files.status)!;
  assert.is.not(now.launchId, first.launchId);
  assert.ok(pidAlive(now.supervisorPid));
  const client = await connect(files.socket).catch((e: Error) => {
    throw new Error(`${e.message}\n${readFileSync(files.log, 'utf8')}`);
  });
  try {
    assert.equal((await client.callTool({ name: 'add', arguments: { a: 5, b: 5 } })).content, [
      { type: 'text', text: '10' },
    ]);
  } finally {
    await client.close();
  }
  assert.is((await backend.apply(backend.plan(undefined, (await observeOne('ghost'))!), ctx())).status, 'deleted');
});

test('validate rejects non-command sources and HTTP transports', () => {
  const d = desired('web');
  d.spec.source = { type: 'docker', image: 'x', pull: 'missing' };
  d.spec.transport = { type: 'streamable-http', port: 8080, path: '/mcp' };
  const codes = backend
    .validate([d])
    .map((x) => x.code)
    .sort();
  assert.equal(codes, ['process.source-unsupported', 'process.transport-unsupported']);
});

test('delete stops the supervisor and its child and removes the files', async () => {
  const o = (await observeOne('alpha'))!;
  track(o);
  const change: Change = backend.plan(undefined, o);
  assert.is(change.action, 'delete');
  const out = await backend.apply(change, ctx());
  assert.is(out.status, 'deleted');
  assert.not.ok(pidAlive(o.native!.supervisorPid as number));
  assert.not.ok(pidAlive(o.native!.childPid as number));
  const files = runtimeFiles(processDir(dir, stack), 'alpha');
  assert.not.ok(existsSync(files.status));
  assert.not.ok(existsSync(files.socket));
  assert.is(await observeOne('alpha'), undefined);
});

test.after(async () => {
  // Whatever a failed assertion left behind is stopped here.
  for (const o of (await backend.observe(stack)).value ?? []) await backend.apply(backend.plan(undefined, o), ctx());
  for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test.run();
