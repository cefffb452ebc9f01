// Several hosts, one truth: the quick start with `state: { backend: postgres }`. A `serve`
// follows an apply made by another process (the shared change counter, polled every second);
// an apply facing a live holder of the stack lock fails naming it; after kill -9 of the holder
// (its session, hence its advisory lock, dies with it) the next apply takes over and converges;
// two applies started together both succeed, one after the other.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cleanupCopy, quickstartCopy, requireBuild, runCli, type CliRun, type QuickstartCopy } from './up-support.js';
import { openStore } from '../../src/state/open.js';
import { dropDatabase, freshDatabase, requirePostgres } from '../support/postgres.js';

requireBuild();
const ready = await requirePostgres('shared PostgreSQL state (cli)');
const pgTest = ready ? test : test.skip;
let url = '';
let copy: QuickstartCopy | undefined;
let serve: CliRun | undefined;
let client: Client | undefined;
const children: ChildProcess[] = [];

function setup(): QuickstartCopy {
  const c = quickstartCopy();
  const cfg = join(c.dir, 'contextforge.yaml');
  writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}\nstate:\n  backend: postgres\n  url: \${DATABASE_URL}\n`);
  return c;
}

const env = (): Record<string, string> => ({ DATABASE_URL: url });

async function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = runCli(args, { cwd: copy!.dir, path: copy!.path, env: env() });
  const code = await r.exited;
  return { code, out: r.stdout() + r.stderr() };
}

async function toolsEventually(want: string[], ms = 30_000): Promise<string[]> {
  const until = Date.now() + ms;
  let names: string[] = [];
  while (Date.now() < until) {
    names = (await client!.listTools()).tools.map((t) => t.name).sort();
    if (JSON.stringify(names) === JSON.stringify(want)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return names;
}

/** A process holding the stack lock in the shared database (test/state/lock-holder.ts). */
function holdLock(stack: string): Promise<{ child: ChildProcess; pid: number }> {
  const script = fileURLToPath(new URL('../state/lock-holder.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, url, stack], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString('utf8');
      const m = /locked (\d+)/.exec(seen);
      if (m) resolve({ child, pid: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited ${code}: ${seen}`)));
  });
}

pgTest('serve against PostgreSQL sees a runtime applied by another process', async () => {
  url = await freshDatabase('cf_shared');
  copy = setup();
  serve = runCli(['serve', '--port', '0'], { cwd: copy.dir, path: copy.path, env: env() });
  const gw = (await serve.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+\/mcp) \(0 runtimes/, 60_000))[1];
  const token = readFileSync(join(copy.dir, '.contextforge', 'gateway.token'), 'utf8').trim();
  client = new Client({ name: 'pg-follow-test', version: '0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(gw), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  assert.equal((await client.listTools()).tools, []);

  const applied = await run(['apply', '--auto-approve']);
  assert.is(applied.code, 0, applied.out);
  const want = ['quickstart__add', 'quickstart__echo', 'quickstart__time'];
  assert.equal(await toolsEventually(want), want);
  // The record is in PostgreSQL, not in a file beside the config.
  const store = openStore({ backend: 'postgres', url });
  try {
    assert.equal(
      store.listRuntimes('quickstart').map((r) => r.address),
      ['runtime.quickstart'],
    );
    assert.ok(store.listRuns('quickstart').some((r) => r.kind === 'apply' && r.outcome === 'success'));
  } finally {
    store.close();
  }
});

pgTest(
  'an apply facing a live lock holder fails naming it; after kill -9 of the holder the next apply converges',
  async () => {
    const holder = await holdLock('quickstart');
    const busy = await run(['apply', '--auto-approve', '--lock-timeout', '1s']);
    assert.is(busy.code, 1, busy.out);
    assert.match(busy.out, `locked by pid ${holder.pid}`);
    holder.child.kill('SIGKILL');
    await new Promise((r) => holder.child.once('exit', r));
    const next = await run(['apply', '--auto-approve', '--lock-timeout', '60s']);
    assert.is(next.code, 0, next.out);
    assert.match(next.out, `Took over the lock of stack quickstart from pid ${holder.pid}`);
    const plan = await run(['plan', '--detailed-exitcode']);
    assert.is(plan.code, 0, `converged: nothing left to do\n${plan.out}`);
  },
);

pgTest('two applies started together both succeed, one waiting for the other', async () => {
  const cfg = join(copy!.dir, 'contextforge.yaml');
  writeFileSync(
    cfg,
    readFileSync(cfg, 'utf8').replace(
      '    backend: local\n',
      '    backend: local\n  - name: second\n    catalog: quickstart-example\n    backend: local\n',
    ),
  );
  const [a, b] = await Promise.all([
    run(['apply', '--auto-approve', '--lock-timeout', '120s']),
    run(['apply', '--auto-approve', '--lock-timeout', '120s']),
  ]);
  assert.is(a.code, 0, a.out);
  assert.is(b.code, 0, b.out);
  const want = [
    'quickstart__add',
    'quickstart__echo',
    'quickstart__time',
    'second__add',
    'second__echo',
    'second__time',
  ];
  assert.equal(await toolsEventually(want), want, 'serve follows these applies too');
  const store = openStore({ backend: 'postgres', url });
  try {
    assert.equal(
      store.listRuntimes('quickstart').map((r) => r.address),
      ['runtime.quickstart', 'runtime.second'],
    );
  } finally {
    store.close();
  }
  const destroyed = await run(['destroy', '--auto-approve']);
  assert.is(destroyed.code, 0, destroyed.out);
  assert.equal(await toolsEventually([]), []);
});

test.after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await client?.close().catch(() => undefined);
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  if (copy) cleanupCopy(copy);
  if (url) await dropDatabase(url);
});

test.run();
