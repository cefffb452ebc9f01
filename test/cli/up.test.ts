// `contextforge up` edge cases with the compiled CLI on the quick start: an invalid config at
// start is a diagnostic and exit 1 with nothing started; --down-on-exit removes the runtimes on
// Ctrl-C; `auth: none` prints its warning; a taken gateway port is a clear error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStateStore } from '../../src/state/sqlite.js';
import {
  cleanupCopy,
  livePids,
  quickstartCopy,
  requireBuild,
  runCli,
  runCliSync,
  type QuickstartCopy,
} from './up-support.js';

requireBuild();
const copies: QuickstartCopy[] = [];
const fresh = (): QuickstartCopy => {
  const c = quickstartCopy();
  copies.push(c);
  return c;
};

test('an invalid config at start: diagnostic with position, exit 1, nothing started', () => {
  const c = fresh();
  const file = join(c.dir, 'contextforge.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace('    catalog: quickstart-example\n', '    catalog: quickstart-exampel\n'),
  );
  const r = runCliSync(['up', '--port', '0'], { cwd: c.dir, path: c.path });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /error\[/);
  assert.match(r.stderr, 'quickstart-exampel');
  assert.match(r.stderr, /contextforge\.yaml:\d+:\d+/);
  assert.not.match(r.stdout, 'Gateway listening');
  assert.not.ok(existsSync(join(c.dir, '.contextforge', 'process')), 'no runtime was started');
});

test('--down-on-exit removes the runtimes when interrupted', async () => {
  const c = fresh();
  const up = runCli(['up', '--port', '0', '--down-on-exit'], { cwd: c.dir, path: c.path });
  await up.waitFor(/Watching .* \(runtimes will be removed\)/, 60_000);
  assert.ok(livePids(c.dir).length >= 2, 'supervisor and warm child run');
  const pids = livePids(c.dir);
  up.child.kill('SIGINT');
  assert.is(await up.exited, 0, up.stdout() + up.stderr());
  assert.match(up.stdout(), 'Destroy complete! Resources: 1 destroyed.');
  for (const p of pids) {
    let alive = true;
    try {
      process.kill(p, 0);
    } catch {
      alive = false;
    }
    if (alive) alive = !readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z ');
    assert.not.ok(alive, `pid ${p} still runs`);
  }
});

test('auth: none is served with a printed warning and no token file', async () => {
  const c = fresh();
  const file = join(c.dir, 'contextforge.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('  port: 4444\n', '  port: 4444\n  auth: none\n'));
  const up = runCli(['up', '--port', '0', '--no-watch', '--down-on-exit'], { cwd: c.dir, path: c.path });
  const m = await up.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/, 60_000);
  await up.waitFor(/warning: Gateway authentication is disabled/);
  assert.not.ok(existsSync(join(c.dir, '.contextforge', 'gateway.token')));
  const res = await fetch(m[1], {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } },
    }),
  });
  assert.is(res.status, 200, 'no token needed');
  await res.body?.cancel();
  up.child.kill('SIGINT');
  assert.is(await up.exited, 0, up.stderr());
});

test('a stack lock held by another process: state.locked diagnostic, exit 1', async () => {
  const c = fresh();
  const file = join(c.dir, 'contextforge.yaml');
  writeFileSync(file, `${readFileSync(file, 'utf8')}\nstate:\n  lock_timeout: 1s\n`);
  const store = openStateStore({ path: join(c.dir, '.contextforge', 'state.db') });
  try {
    const held = await store.acquireLock('quickstart', 'test holds it', 0);
    assert.ok(held.ok);
    const r = runCliSync(['up', '--port', '0'], { cwd: c.dir, path: c.path });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, 'error[state.locked]');
    assert.match(r.stderr, `pid ${process.pid}`);
    assert.not.match(r.stdout, 'Gateway listening');
  } finally {
    store.releaseLock('quickstart');
    store.close();
  }
});

test('a taken gateway port is a clear error (exit 1)', async () => {
  const c = fresh();
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  try {
    const r = runCliSync(['up', '--port', String(port), '--no-watch'], { cwd: c.dir, path: c.path });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, `error[gateway.listen-failed]: the gateway cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    assert.match(r.stderr, '--port');
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }
});

test.after(() => {
  for (const c of copies) cleanupCopy(c);
});

test.run();
