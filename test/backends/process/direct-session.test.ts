// Direct sessions of the process backend (issue 21): the gateway's connector asks the supervisor
// for one and then talks to the child over a connection no other process reads or writes. Checked
// through /proc (which sockets each process holds), not through timing: the child's stdin and
// stdout are one socket, the supervisor holds no descriptor of it, and a call is answered while
// the supervisor is stopped (SIGSTOP). Also: the session's end
// stops a child that ignores end of input, a child's exit ends the session, and the connector's
// spare is a child started before its session was asked for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { streamTransport } from '../../../src/gateway/index.js';
import {
  DIRECT_PREAMBLE,
  createProcessBackend,
  pidAlive,
  readStatus,
  runtimeFiles,
  processDir,
} from '../../../src/backends/process/index.js';
import { processSocketConnector } from '../../../src/host/process-connector.js';
import type { ApplyContext } from '../../../src/backends/backend.js';
import type { DesiredResource, ObservedResource } from '../../../src/model/resources.js';
import { commandRuntime } from '../../support/process.js';
import { until } from '../../support/wait.js';

const SERVER = resolve('examples/quickstart-server/server.js');
const stack = `pd${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'cf-direct-'));
const pids = new Set<number>();

const backend = createProcessBackend('local', { type: 'process' }, { configDir: dir, stack });
const ctx = (): ApplyContext => ({ stack, signal: new AbortController().signal, progress: () => undefined });

function desired(runtime: string, args: string[]): DesiredResource {
  return commandRuntime(runtime, { command: process.execPath, args });
}

/** The bound only turns a hang into a clear failure. */
const waitLong = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> =>
  until(fn, 30_000, what, 50);

async function start(runtime: string, args: string[]): Promise<{ socketPath: string; direct: boolean }> {
  const out = await backend.apply(backend.plan(desired(runtime, args), undefined), ctx());
  assert.is(out.status, 'created', JSON.stringify(out.diags));
  const attach = out.observed?.endpoint?.attach as { kind: string; socketPath: string; direct?: boolean };
  const st = readStatus(runtimeFiles(processDir(dir, stack), runtime).status)!;
  pids.add(st.supervisorPid);
  return { socketPath: attach.socketPath, direct: attach.direct === true };
}

async function session(t: Transport): Promise<{ client: Client; pid: number }> {
  const client = new Client({ name: 'direct-test', version: '0' });
  await client.connect(t);
  const about = await client.readResource({ uri: 'quickstart://about' });
  const pid = (JSON.parse((about.contents[0] as { text: string }).text) as { pid: number }).pid;
  pids.add(pid);
  return { client, pid };
}

/** The socket inodes a process holds, by descriptor number. */
function sockets(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // Closed while we looked.
    }
    if (target.startsWith('socket:')) out.set(Number(fd), target);
  }
  return out;
}

test('a direct session: the child speaks on its own socket, which the supervisor does not hold', async () => {
  const rt = await start('quick', [SERVER]);
  assert.ok(rt.direct, 'observe reports a supervisor that serves direct sessions');
  const connector = processSocketConnector(rt.socketPath, { direct: true });
  const { client, pid } = await session(await connector.connect());
  try {
    const sum = await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } });
    assert.equal(sum.content, [{ type: 'text', text: '42' }]);
    const st = readStatus(runtimeFiles(processDir(dir, stack), 'quick').status)!;
    assert.equal(st.sessionPids, [pid], 'the direct child is the runtime session');
    assert.is.not(pid, st.childPid, 'not the warm child');

    const child = sockets(pid);
    const stdin = child.get(0);
    assert.ok(stdin, "the child's stdin is a socket");
    assert.is(child.get(1), stdin, "the child's stdout is the same socket");
    const supervisor = [...sockets(st.supervisorPid).values()];
    assert.not.ok(supervisor.includes(stdin!), "the supervisor holds no descriptor of the session's socket");

    // Calls do not pass through the supervisor: with it stopped, the session still answers.
    process.kill(st.supervisorPid, 'SIGSTOP');
    try {
      const echo = await client.callTool(
        { name: 'echo', arguments: { message: 'past a stopped supervisor' } },
        undefined,
        {
          timeout: 20_000,
        },
      );
      assert.equal(echo.content, [{ type: 'text', text: 'past a stopped supervisor' }]);
    } finally {
      process.kill(st.supervisorPid, 'SIGCONT');
    }
  } finally {
    await client.close();
  }
  // The session's end retires its child.
  await waitLong('the session child to exit', () => !pidAlive(pid));
});

test('the one-shot socket takes one connection, in a private directory that is gone after it', async () => {
  const rt = await start('oneshot', [SERVER]);
  const lifeline = connect(rt.socketPath);
  lifeline.write(DIRECT_PREAMBLE);
  const path = await new Promise<string>((resolve) => {
    let got = '';
    lifeline.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes('\n')) resolve(got.slice(0, got.indexOf('\n')));
    });
  });
  assert.is(statSync(dirname(path)).mode & 0o777, 0o700, 'only this user can reach the socket');
  const data = connect(path);
  await once(data, 'connect');
  await waitLong('the directory to be removed', () => !existsSync(dirname(path)));
  const second = connect(path);
  const [err] = (await once(second, 'error')) as [NodeJS.ErrnoException];
  assert.is(err.code, 'ENOENT');
  // The connection made is the child's: it answers MCP.
  const client = new Client({ name: 'raw', version: '0' });
  await client.connect(streamTransport(data, data));
  assert.equal((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).content, [
    { type: 'text', text: '3' },
  ]);
  await client.close();
  data.destroy();
  lifeline.destroy();
});

test('bytes after the preamble, before the answer, end the request with no socket given', async () => {
  const rt = await start('eager', [SERVER]);
  const c = connect(rt.socketPath);
  c.on('error', () => undefined);
  await once(c, 'connect');
  let answered = '';
  c.on('data', (d: Buffer) => (answered += d.toString()));
  let closed = false;
  c.once('close', () => (closed = true));
  // One write: the preamble and a request that must wait for the answer.
  c.write(`${DIRECT_PREAMBLE}{"jsonrpc":"2.0","id":1,"method":"ping"}\n`);
  await waitLong('an answer or the close', () => answered !== '' || closed);
  assert.is(answered, '', 'no one-shot socket path was answered');
  assert.ok(closed);
  assert.equal(readStatus(runtimeFiles(processDir(dir, stack), 'eager').status)!.sessionPids, []);
});

test('connections that have sent nothing yet count against the session limit', async () => {
  const rt = await start('silent', [SERVER]);
  // A client that connects and says nothing is neither plain nor direct yet: it must still take a
  // place, or any number of them could be held open.
  const silent: Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const c = connect(rt.socketPath);
    await once(c, 'connect');
    silent.push(c);
  }
  const extra = connect(rt.socketPath);
  extra.on('error', () => undefined);
  const refused = once(extra, 'close');
  const log = runtimeFiles(processDir(dir, stack), 'silent').log;
  await waitLong('the refusal in the log', () =>
    readFileSync(log, 'utf8').includes('refused a connection: 16 sessions already'),
  );
  await refused;
  for (const c of silent) c.destroy();
  // Their places are given back as they close.
  const connector = processSocketConnector(rt.socketPath, { direct: true });
  const back = await waitLong('a session once they left', async () => {
    try {
      return await session(await connector.connect());
    } catch {
      return undefined; // Refused while the supervisor still counts the closing ones.
    }
  });
  await back.client.close();
});

test("the session's end stops a child that ignores end of input", async () => {
  // The quick-start server, kept alive by a timer after its input ends.
  const keepAlive = 'data:text/javascript,setInterval(()=>{},1000)';
  const rt = await start('stubborn', ['--import', keepAlive, SERVER]);
  const connector = processSocketConnector(rt.socketPath, { direct: rt.direct });
  const { client, pid } = await session(await connector.connect());
  await client.close();
  // Without the lifeline the supervisor would never learn that the session ended.
  await waitLong('the stubborn child to be stopped', () => !pidAlive(pid));
  const log = readFileSync(runtimeFiles(processDir(dir, stack), 'stubborn').log, 'utf8');
  assert.match(log, `session on child ${pid} ended; stopping it`);
});

test("a child's exit ends its direct session", async () => {
  const rt = await start('mortal', [SERVER]);
  const connector = processSocketConnector(rt.socketPath, { direct: true });
  const t = await connector.connect();
  const closed = new Promise<void>((r) => {
    const prev = t.onclose;
    t.onclose = () => {
      prev?.();
      r();
    };
  });
  // Client.connect keeps (and calls) the onclose set before it.
  const { client, pid } = await session(t);
  process.kill(pid, 'SIGKILL');
  await closed;
  const late = await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } }).then(
    () => 'answered',
    (e: Error) => e.message,
  );
  assert.match(late, 'Not connected');
  const st = await waitLong('the crash on record', () => {
    const s = readStatus(runtimeFiles(processDir(dir, stack), 'mortal').status);
    return s && s.restarts === 1 ? s : undefined;
  });
  assert.is(st.lastExit?.signal, 'SIGKILL');
  // A new session works.
  const again = await session(await connector.connect());
  assert.is.not(again.pid, pid);
  await again.client.close();
});

test('with a spare, a new session gets a child started before it was asked for', async () => {
  const rt = await start('spared', [SERVER]);
  const connector = processSocketConnector(rt.socketPath, { direct: true, spare: true });
  const status = (): ReturnType<typeof readStatus> => readStatus(runtimeFiles(processDir(dir, stack), 'spared').status);
  const open: Client[] = [];
  try {
    // The spare is kept once more than two sessions were asked for (the gateway's shared session
    // and one client's link), as for docker exec.
    const held = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const s = await session(await connector.connect());
      open.push(s.client);
      held.add(s.pid);
    }
    const spare = await waitLong('the spare child', () => status()?.sessionPids?.find((p) => !held.has(p)));
    const fourth = await session(await connector.connect());
    open.push(fourth.client);
    assert.is(fourth.pid, spare, 'the fourth session is served by the spare');
  } finally {
    for (const c of open) await c.close();
    await connector.close?.();
  }
  await waitLong('every session child to be retired', () => (status()?.sessionPids ?? []).length === 0);
});

test.after(async () => {
  for (const o of ((await backend.observe(stack)).value ?? []) as ObservedResource[])
    await backend.apply(backend.plan(undefined, o), ctx());
  for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test.run();
