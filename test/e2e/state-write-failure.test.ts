// A state write that fails is part of the outcome (issue 20): while a 3-runtime replace runs,
// another process holds the write lock of state.db (a real better-sqlite3 connection, as an
// open sqlite3 shell would); apply exits 1 with state.write-failed naming the file instead of
// "Apply complete". Before anything is repaired, the first call through the running gateway to
// every replaced runtime answers from where the backend runs it (the record still names the
// dead port) and the gateway warns once per runtime that the state is behind. The next plan re-observes the backend and shows
// each stale record with the real endpoint; the next apply records it; a call through the
// running gateway then reaches every runtime. Real Docker, the real CLI, a real MCP client.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { docker, publishedPort, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { runCli, stackYaml, startCli, type Child, connectWithStoredToken, gatewayUrl } from '../watch/support.js';

const STACK = uniqueName('cfstw');
const dir = mkdtempSync(join(tmpdir(), 'cf-state-write-'));
const file = join(dir, 'contextforge.yaml');
const stateFile = join(dir, '.contextforge', 'state.db');
const NAMES = ['ra', 'rb', 'rc'];
let serve: Child | undefined;
let client: Client | undefined;
let dockerOk = false;

const write = (v: string): void =>
  writeFileSync(file, stackYaml({ stack: STACK, runtimes: NAMES.map((name) => ({ name, env: { V: v } })) }));

async function mainContainer(runtime: string): Promise<string> {
  const list = await docker().listContainers({
    filters: JSON.stringify({
      label: [`dev.contextforge.stack=${STACK}`, `dev.contextforge.address=runtime.${runtime}`],
    }),
  });
  const main = list.find((c) => c.Names.includes(`/cf-${STACK}-${runtime}`));
  assert.ok(main, `${runtime} runs`);
  return main!.Id;
}

const text = (r: Record<string, unknown>): string => (r.content as Array<{ text?: string }>)[0]?.text ?? '';

/** Calls echo on a runtime through the gateway until it answers (the gateway follows state). */
async function echoThrough(runtime: string, timeoutMs = 90_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const r = await client!.callTool({ name: `${runtime}__echo`, arguments: { message: runtime } });
      if (!r.isError) return text(r);
      last = text(r);
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > until) throw new Error(`${runtime}__echo never answered through the gateway: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const STALE = (runtime: string): RegExp =>
  new RegExp(
    `warning: runtime\\.${runtime}: the state records http://127\\.0\\.0\\.1:\\d+/mcp but the Docker backend runs it at http://127\\.0\\.0\\.1:\\d+/mcp: the state is behind the backend.*\`contextforge plan\`.*\`contextforge apply\``,
    'g',
  );

/**
 * The first call through the gateway after the failed apply, and it must answer: a call that
 * finds the recorded, dead port refused waits for the host's lookup of where the backend runs
 * the runtime and is delivered there. No retry, no tolerated failure.
 */
async function firstEcho(runtime: string): Promise<string> {
  const r = await client!.callTool({ name: `${runtime}__echo`, arguments: { message: runtime } });
  assert.not.ok(r.isError, `the first ${runtime}__echo through the gateway after the failed apply: ${text(r)}`);
  return text(r);
}

test.before(async () => {
  dockerOk = await requireDocker('state write failure e2e');
  if (dockerOk) await ensureFixtureImages();
});

test.after(async () => {
  await client?.close().catch(() => undefined);
  if (serve && serve.proc.exitCode === null) {
    serve.proc.kill('SIGKILL');
    await serve.done;
  }
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  rmSync(dir, { recursive: true, force: true });
});

test('a blocked state write fails the apply; plan shows the real endpoints; the next apply records them', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  write('1');
  const first = await runCli(['apply', '-f', file, '--auto-approve']);
  assert.is(first.code, 0, first.out + first.err);

  serve = startCli(['serve', '-f', file, '--port', '0']);
  client = await connectWithStoredToken(await gatewayUrl(serve), dir, 'state-write');
  for (const n of NAMES) assert.is(await echoThrough(n), `Echo: ${n}`);

  const oldPorts = new Map<string, number>();
  for (const n of NAMES) oldPorts.set(n, await publishedPort(await mainContainer(n), 3001));

  // The replace starts; then another connection takes the write lock and holds it.
  const beforeReplace = serve.mark();
  write('2');
  const apply = startCli(['apply', '-f', file, '--auto-approve']);
  await apply.waitFor(/runtime\.r[abc]: (Replacing|Creating|Destroying|Updating)\.\.\./, 180_000);
  const holder = new Database(stateFile);
  holder.exec('BEGIN IMMEDIATE');
  let code: number;
  try {
    code = await apply.done;
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
  const out = apply.out() + apply.err();
  assert.is(code, 1, `apply exits 1 when state cannot record its outcome:\n${out}`);
  assert.match(
    out,
    /error\[state\.write-failed\]: recording runtime\.r[abc]: writing the state store .*state\.db failed/,
  );
  assert.ok(out.includes(stateFile), `the diagnostic names ${stateFile}:\n${out}`);
  assert.match(out, /Another process holds a write lock on it/);
  assert.not.match(out, /Apply complete!/);

  // Nothing repaired yet: the state still names the old ports, yet the gateway never answers a
  // call from a dead port: it asks the backend and the first call to each runtime answers.
  for (const n of NAMES) assert.is(await firstEcho(n), `Echo: ${n}`);
  // Each stale runtime is named once, with the commands that show and record the difference.
  for (const n of NAMES) await serve.waitFor(STALE(n), 120_000, beforeReplace);
  const staleWarnings = (n: string): number => serve!.all().slice(beforeReplace).match(STALE(n))?.length ?? 0;
  for (const n of NAMES) assert.is(staleWarnings(n), 1, `one stale-state warning for ${n}:\n${serve.all()}`);

  // The next plan trusts the backend, not the stale records, and shows the real endpoints.
  const plan = await runCli(['plan', '-f', file, '--detailed-exitcode']);
  assert.is(plan.code, 2, plan.out + plan.err);
  for (const n of NAMES) {
    const port = await publishedPort(await mainContainer(n), 3001);
    const line = plan.out.split('\n').find((l) => l.includes(`runtime.${n}: the state record is out of date`));
    assert.ok(line, `plan shows runtime.${n}'s stale record:\n${plan.out}`);
    assert.match(line!, /spec: state records \w+, the backend runs \w+/);
    // The replaced container publishes a new port, unless Docker happened to hand out the same one.
    if (port !== oldPorts.get(n))
      assert.ok(line!.includes(`the backend serves http://127.0.0.1:${port}/mcp`), `${line} names port ${port}`);
  }

  // The next apply records what runs; the gateway follows and reaches every runtime.
  const repair = await runCli(['apply', '-f', file, '--auto-approve']);
  assert.is(repair.code, 0, repair.out + repair.err);
  for (const n of NAMES) assert.is(await echoThrough(n), `Echo: ${n}`);
  const again = await runCli(['plan', '-f', file, '--detailed-exitcode']);
  assert.is(again.code, 0, again.out + again.err);
  assert.match(again.out, /No changes/);
  // Recording the endpoints warned of nothing new.
  for (const n of NAMES) assert.is(staleWarnings(n), 1, `still one stale-state warning for ${n}`);
});

test.run();
