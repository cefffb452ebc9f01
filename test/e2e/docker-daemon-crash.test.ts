// Daemon crash recovery (issue 20): the Docker daemon is SIGKILLed mid-apply and restarted; the
// next `apply` converges without `destroy`. The test runs its own dockerd (root only) with its
// own data-root, exec-root, socket and containerd (started by dockerd under the exec-root, in a
// namespace of its own), so the shared daemon is never touched. The crash is taken while `apply`
// is starting a stopped container, when containerd has begun creating its task: after the
// restart dockerd no longer knows that task and `docker start` fails for ever with "task …:
// already exists"; only a new container runs. The crash is repeated until it lands in that
// window (the task directory appearing is the event; a crash outside it must converge too).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { skip } from '../support/skip.js';
import { requireDocker, uniqueName } from '../support/docker.js';
import { ensureFixtureImages, EVERYTHING_IMAGE } from '../support/images.js';
import { runCli, startCli } from '../watch/support.js';

const STACK = uniqueName('cfcrash');
const NS = uniqueName('cfdd');
// Short: containerd's socket lives under the exec-root and unix socket paths are limited.
const dir = mkdtempSync('/tmp/cfdd-');
const sock = join(dir, 'd.sock');
const file = join(dir, 'contextforge.yaml');
const name = `cf-${STACK}-one`;
let daemon: ChildProcess | undefined;
let usable = false;
const engine = new Docker({ socketPath: sock });

const haveDockerd = (): boolean => spawnSync('sh', ['-c', 'command -v dockerd'], { stdio: 'ignore' }).status === 0;

/** Starts the private daemon; a restart on a busy machine may time out starting containerd: tried again. */
async function startDaemon(): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await startDaemonOnce();
    } catch (err) {
      if (i >= 4 || !/timeout waiting for containerd/.test((err as Error).message)) throw err;
    }
  }
}

async function startDaemonOnce(): Promise<void> {
  rmSync(join(dir, 'pid'), { force: true });
  const child = spawn(
    'dockerd',
    [
      ...['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'x'), '--pidfile', join(dir, 'pid')],
      ...['-H', `unix://${sock}`, '--bridge=none', '--iptables=false', '--ip-masq=false'],
      ...['--containerd-namespace', NS, '--containerd-plugins-namespace', `${NS}-p`],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  daemon = child;
  const until = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`private dockerd exited:\n${log}`);
    try {
      await engine.ping();
      return;
    } catch {
      if (Date.now() > until) throw new Error(`private dockerd never answered:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function stopDaemon(signal: NodeJS.Signals): Promise<void> {
  const child = daemon;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  if (signal === 'SIGTERM') {
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await gone;
    clearTimeout(t);
  } else await gone;
}

/** Shims of this test's containerd namespace outlive a SIGKILLed daemon: ended by pid. */
function killShims(): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('containerd-shim-runc-v2') && cmd.includes(NS)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

test.before(async () => {
  if (process.getuid?.() !== 0 || !haveDockerd() || !(await requireDocker('docker daemon crash e2e'))) return;
  await ensureFixtureImages();
  await startDaemon();
  const load = spawnSync('sh', ['-c', `docker save "${EVERYTHING_IMAGE}" | docker -H "unix://${sock}" load`], {
    encoding: 'utf8',
  });
  if (load.status !== 0) throw new Error(`loading the fixture image failed: ${load.stderr}`);
  writeFileSync(
    file,
    `name: ${STACK}
backends:
  local: { type: docker, allow_local_images: true, socket: ${sock} }
profiles:
  open:
    network: { egress_allowed: true, ingress_ports: [3001] }
    resources: { max_memory: 256m, max_pids: 200 }
defaults:
  guardrails_profile: open
catalog:
  - name: Echo
    slug: echo
    source: { type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never }
    transport: { type: streamable-http, port: 3001, path: /mcp }
runtimes:
  - { name: one, catalog: echo, backend: local }
`,
  );
  usable = true;
});

test.after(async () => {
  await stopDaemon('SIGTERM').catch(() => undefined);
  killShims();
  // Mounts a killed daemon left under its data-root, then the directories.
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m): m is string => !!m && m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  rmSync(dir, { recursive: true, force: true });
});

test('apply converges after the Docker daemon is killed mid-apply and restarted, without destroy', async () => {
  if (process.getuid?.() !== 0) return skip('a private dockerd needs root');
  if (!haveDockerd()) return skip('dockerd is not installed');
  if (!usable) return skip('the Docker daemon does not answer');

  const first = await runCli(['apply', '-f', file, '--auto-approve']);
  assert.is(first.code, 0, first.out + first.err);

  let lost = false;
  for (let attempt = 1; attempt <= 8 && !lost; attempt++) {
    const c = engine.getContainer(name);
    const id = (await c.inspect()).Id;
    await c.stop({ t: 1 }).catch(() => undefined);
    const taskDir = join(dir, 'x', 'containerd', 'daemon', 'io.containerd.runtime.v2.task', NS, id, 'config.json');
    const apply = startCli(['apply', '-f', file, '--auto-approve']);
    await apply.waitFor(new RegExp(`starting ${name}`), 180_000);
    // The event: containerd begins creating the container's task.
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (existsSync(taskDir) || apply.proc.exitCode !== null) {
          clearInterval(t);
          resolve();
        }
      }, 1);
    });
    await stopDaemon('SIGKILL');
    await apply.done;
    await startDaemon();
    const state = (await c.inspect()).State;
    if (state.Running) continue;
    try {
      await c.start();
      await c.stop({ t: 1 });
    } catch (err) {
      assert.match(String((err as Error).message), /already exists/, String(err));
      lost = true;
    }
  }
  assert.ok(lost, 'no crash landed while the task was being created');

  const apply = await runCli(['apply', '-f', file, '--auto-approve']);
  assert.is(apply.code, 0, apply.out + apply.err);
  assert.match(apply.out + apply.err, /lost the task .* replacing it/);
  assert.ok((await engine.getContainer(name).inspect()).State.Running, 'the runtime runs');
  const plan = await runCli(['plan', '-f', file, '--detailed-exitcode']);
  assert.is(plan.code, 0, plan.out + plan.err);
});

test.run();
