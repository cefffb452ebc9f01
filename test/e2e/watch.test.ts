// `contextforge watch` against the real Docker engine, through the CLI: a save is applied; a
// touch (and a rewrite with the same bytes) makes zero engine calls, counted by a proxy in front
// of the Docker socket; an invalid save prints the diagnostic and leaves the server running; the
// next valid save applies; SIGINT exits 0 and releases the lock. Then, with a 2 s drift interval,
// `docker kill` of the managed container is repaired and logged as drift.repaired, and SIGTERM
// during a replace lets it finish before exiting 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { openCliStateStore } from '../support/stores.js';
import { startCountingProxy, type CountingProxy } from '../watch/counting-proxy.js';
import { runCli, sleep, stackYaml, startCli, until, type Child } from '../watch/support.js';

const STACK = uniqueName('cfwatch');
const dir = mkdtempSync(join(tmpdir(), 'cf-watch-e2e-'));
const file = join(dir, 'contextforge.yaml');
let proxy: CountingProxy | undefined;
let watch: Child | undefined;
let dockerOk = false;

const write = (env: Record<string, string>): void =>
  writeFileSync(file, stackYaml({ stack: STACK, socket: proxy!.socketPath, runtimes: [{ name: 'alpha', env }] }));

async function alpha(): Promise<{ id: string; state: string; env: string[] } | undefined> {
  const list = await docker().listContainers({
    all: true,
    filters: JSON.stringify({ label: [`dev.contextforge.stack=${STACK}`, 'dev.contextforge.address=runtime.alpha'] }),
  });
  const main = list.find((c) => c.Names.some((n) => n === `/cf-${STACK}-alpha`));
  if (!main) return undefined;
  const info = await docker().getContainer(main.Id).inspect();
  return { id: main.Id, state: info.State.Status, env: info.Config.Env ?? [] };
}

test.before(async () => {
  dockerOk = await requireDocker('watch e2e');
  if (!dockerOk) return;
  await ensureFixtureImages();
  proxy = await startCountingProxy(join(dir, 'docker.sock'));
});

test.after(async () => {
  if (watch && watch.proc.exitCode === null) {
    watch.proc.kill('SIGKILL');
    await watch.done;
  }
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a save is applied; a touch makes no engine call; an invalid save keeps the server; the next save applies', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  write({ GREETING: 'one' });
  // A long drift interval: nothing but saves may reach the engine in this test.
  watch = startCli(['watch', '-f', file, '--interval', '1h']);
  await watch.waitFor(/Watching \d+ file\(s\)/, 180_000);
  const first = await alpha();
  assert.ok(first && first.state === 'running', 'alpha runs after the first pass');
  assert.ok(first!.env.includes('GREETING=one'));

  // Edit → applied.
  let mark = watch.mark();
  write({ GREETING: 'two' });
  await watch.waitFor(/Apply complete!/, 180_000, mark);
  const second = await alpha();
  assert.ok(second && second.state === 'running' && second.env.includes('GREETING=two'), JSON.stringify(second));

  // Touch, and a rewrite of the same bytes: zero engine calls.
  await sleep(500);
  const before = proxy!.count();
  mark = watch.mark();
  const now = new Date();
  utimesSync(file, now, now);
  write({ GREETING: 'two' });
  await sleep(2000);
  assert.is(proxy!.count(), before, `engine calls after a no-op save: ${proxy!.log().slice(before).join(', ')}`);
  assert.not.match(watch.out().slice(mark), /Config changed/);

  // Invalid save: diagnostic printed, nothing torn down.
  mark = watch.mark();
  writeFileSync(
    file,
    `${stackYaml({ stack: STACK, socket: proxy!.socketPath, runtimes: [{ name: 'alpha', env: { GREETING: 'three' } }] })}bogus_key: true\n`,
  );
  await watch.waitFor(/The config is not valid/, 60_000, mark);
  assert.match(watch.err(), /error\[[a-z.-]+\]: .*bogus_key/);
  const kept = await alpha();
  assert.is(kept?.id, second!.id, 'the running container was not replaced');
  assert.is(kept?.state, 'running');

  // The next valid save applies.
  mark = watch.mark();
  write({ GREETING: 'four' });
  await watch.waitFor(/Apply complete!/, 180_000, mark);
  const fourth = await alpha();
  assert.ok(fourth?.env.includes('GREETING=four'), JSON.stringify(fourth));

  // SIGINT: clean exit, lock released.
  watch.proc.kill('SIGINT');
  assert.is(await watch.done, 0, watch.out() + watch.err());
  assert.match(watch.out(), /Stopped; the lock is released/);
  const store = openCliStateStore(dir);
  try {
    assert.is(store.lockHolder(STACK), undefined, 'lock released');
  } finally {
    store.close();
  }
  watch = undefined;
});

test('docker kill of a managed container is repaired within the drift interval and logged', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  // A watch left running by a failed first test would hold the stack; stop it.
  if (watch && watch.proc.exitCode === null) {
    watch.proc.kill('SIGKILL');
    await watch.done;
  }
  watch = startCli(['watch', '-f', file, '--interval', '2s']);
  await watch.waitFor(/Watching \d+ file\(s\)/, 180_000);
  const before = await alpha();
  assert.is(before?.state, 'running');
  await docker().getContainer(before!.id).kill();
  const killedAt = Date.now();
  const back = await until(
    async () => {
      const a = await alpha();
      return a?.state === 'running' ? a : undefined;
    },
    120_000,
    'alpha running again',
  );
  // Not a pass/fail timing (the machine is shared): printed for the record.
  process.stdout.write(
    `  (alpha back ${((Date.now() - killedAt) / 1000).toFixed(1)} s after docker kill, drift interval 2 s)\n`,
  );
  assert.ok(back.env.includes('GREETING=four'));
  const ev = await until(
    async () => {
      const r = await runCli(['events', '-f', file, '--type', 'drift.repaired', '--json']);
      const list = JSON.parse(r.out) as { address?: string; data?: { reason?: string } }[];
      return list.find((e) => e.address === 'runtime.alpha' && /drift/.test(e.data?.reason ?? '')) ?? undefined;
    },
    30_000,
    'a drift.repaired event',
  );
  assert.match(ev.data!.reason!, /^update:drift-stopped$|^replace:drift-failed$|^create:drift-missing$/);

  // SIGTERM while a replace is in flight: it finishes, the lock is released, exit 0.
  const mark = watch.mark();
  write({ GREETING: 'five' });
  await watch.waitFor(/runtime\.alpha: Replacing\.\.\./, 60_000, mark);
  watch.proc.kill('SIGTERM');
  assert.is(await watch.done, 0, watch.out() + watch.err());
  assert.match(watch.out().slice(mark), /runtime\.alpha: Replacement complete after/);
  assert.match(watch.out().slice(mark), /Stopped; the lock is released/);
  assert.ok((await alpha())?.env.includes('GREETING=five'), 'the action in flight completed');
  const store = openCliStateStore(dir);
  try {
    assert.is(store.lockHolder(STACK), undefined, 'lock released');
  } finally {
    store.close();
  }
  watch = undefined;
});

test.run();
