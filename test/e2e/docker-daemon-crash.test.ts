// Daemon crash recovery (issue 20): the Docker daemon is SIGKILLed mid-apply and restarted; the
// next `apply` converges without `destroy`. The test runs its own dockerd (root only) with its
// own data-root, exec-root, pidfile, socket and containerd namespace, and inside network and mount
// namespaces of its own: a dockerd in the host's network namespace deletes and recreates the
// shared daemon's docker0 bridge when it starts, which broke every Docker test running beside it.
// Here its bridges live in its namespace; the test talks to it through its unix socket (shared
// filesystem) and runs the CLI in the same network namespace (nsenter), since the runtime's
// published port is on that namespace's loopback. It proves the host untouched: the host's
// bridges (docker0, br-*) keep their interface indexes, none of the private daemon's networks
// appears on the host, nothing is mounted in the host's mount namespace, and a container of the
// host daemon answers MCP calls before, during (after every private daemon start) and after.
//
// The crash is taken while `apply` is starting a stopped container, when containerd has begun
// creating its task: after the restart dockerd no longer knows that task and `docker start` fails
// for ever with "task …: already exists" (or "failed to start shim: mkdir …: file exists" when only
// the task's bundle directory was made); only a new container runs. The crash is repeated until
// it lands in that window (the task directory appearing is the event; a crash outside it must
// converge too). Everything started is ended by pid, also when a step fails: the daemon, then
// every process left in the private network namespace (containerd, shims, proxies), then the
// private daemon's container processes (found by their cgroup), then the namespace holder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { skip } from '../support/skip.js';
import { docker, publishedPort, removeByLabel, requireDocker, testLabels, uniqueName } from '../support/docker.js';
import { ensureFixtureImages, EVERYTHING, EVERYTHING_IMAGE } from '../support/images.js';
import { waitForMcp } from '../support/mcp.js';
import { runCli, startCli } from '../watch/support.js';

const STACK = uniqueName('cfcrash');
const NS = uniqueName('cfdd');
// Short: containerd's socket lives under the exec-root and unix socket paths are limited.
const dir = mkdtempSync('/tmp/cfdd-');
const sock = join(dir, 'd.sock');
const file = join(dir, 'contextforge.yaml');
const name = `cf-${STACK}-one`;
const hostLabels = testLabels(NS);
let holder: ChildProcess | undefined;
let netns = '';
let daemon: ChildProcess | undefined;
let usable = false;
let hostUrl = '';
const engine = new Docker({ socketPath: sock });
/** What `docker start` says for ever about a container whose task the crash lost. */
const LOST = /task [0-9a-f]+: already exists|failed to start shim: mkdir \S+: file exists/;

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const tools = ['dockerd', 'unshare', 'nsenter', 'ip'];

/** `nsenter` into the holder's network (and, for the daemon, mount) namespace. */
const enterNet = (): string[] => ['nsenter', '-t', String(holder!.pid), '-n', '--'];

/** The host's bridges (docker0, br-*) by name, with their interface index. */
function hostBridges(): Map<string, number> {
  const r = spawnSync('ip', ['-o', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip link failed: ${r.stderr}`);
  return parseBridges(r.stdout);
}

function parseBridges(out: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^(\d+): ([^:@]+)[:@]/.exec(line);
    if (m && (m[2] === 'docker0' || m[2]!.startsWith('br-'))) found.set(m[2]!, Number(m[1]));
  }
  return found;
}

/** Whether the host daemon has a network whose bridge is `bridge` (br-<first 12 of its id>). */
async function hostHasNetwork(bridge: string): Promise<boolean> {
  return (await docker().listNetworks()).some((n) => bridge === `br-${n.Id.slice(0, 12)}`);
}

/**
 * Waits (bounded) until `settled` holds: the host daemon creates a network's bridge before it
 * lists the network and deletes it before it stops listing it, and other tests do so meanwhile.
 */
async function eventually(settled: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  for (const until = Date.now() + timeoutMs; ;) {
    if (await settled()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The host's bridges compared with those recorded before the private daemon first started:
 * docker0 and every bridge still there keep their index (none deleted and recreated); a bridge
 * that went away is one whose network the host daemon removed (other tests run beside this one)
 * and one that appeared is a network of the host daemon; none is the private daemon's.
 */
async function assertHostBridgesUntouched(before: Map<string, number>, when: string): Promise<void> {
  const now = hostBridges();
  assert.is(now.get('docker0'), before.get('docker0'), `${when}: docker0 was deleted or recreated`);
  for (const [bridge, index] of before) {
    const after = now.get(bridge);
    if (after !== undefined) assert.is(after, index, `${when}: host bridge ${bridge} was recreated`);
    else
      assert.ok(
        await eventually(async () => !(await hostHasNetwork(bridge))),
        `${when}: the host daemon's bridge ${bridge} is gone while its network is not`,
      );
  }
  for (const bridge of now.keys())
    if (!before.has(bridge))
      assert.ok(
        await eventually(async () => !hostBridges().has(bridge) || (await hostHasNetwork(bridge))),
        `${when}: ${bridge} appeared on the host and is no host daemon network`,
      );
  const privateBridges = (await engine.listNetworks().catch(() => [])).map((n) => `br-${n.Id.slice(0, 12)}`);
  const last = hostBridges();
  for (const bridge of privateBridges) assert.not.ok(last.has(bridge), `${when}: ${bridge} was created on the host`);
}

/** A container of the host daemon answers an MCP call through docker0 and its published port. */
async function assertHostContainerWorks(when: string): Promise<void> {
  const client = await waitForMcp(hostUrl, 60_000);
  try {
    const r = (await client.callTool({ name: EVERYTHING.tools.echo, arguments: { message: when } })) as {
      content: Array<{ text?: string }>;
    };
    assert.is(r.content[0]?.text, `Echo: ${when}`, `${when}: the host daemon's container answers`);
  } finally {
    await client.close();
  }
}

/** Starts the namespace holder: network and mount namespaces that live while it does. */
async function startHolder(): Promise<void> {
  // stdin is a pipe from this process: if the test process dies, cat reads EOF and the holder ends.
  const child = spawn(
    'unshare',
    ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'ip link set lo up && echo ready && exec cat'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  holder = child;
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the namespace holder exited (${code}): ${err}`)));
  });
  netns = readlinkSync(`/proc/${child.pid}/ns/net`);
  assert.is.not(netns, readlinkSync('/proc/self/ns/net'), 'the holder has a network namespace of its own');
}

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
  // nsenter execs dockerd (no fork for network and mount namespaces): the child's pid is dockerd's.
  const child = spawn(
    'nsenter',
    [
      ...['-t', String(holder!.pid), '-n', '-m', '--', 'dockerd'],
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
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`private dockerd exited:\n${log}`);
    try {
      await engine.ping();
      break;
    } catch {
      if (Date.now() > until) throw new Error(`private dockerd never answered:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  assert.is(readlinkSync(`/proc/${child.pid}/ns/net`), netns, 'the private dockerd runs in its own namespace');
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

/** Pids of the processes for which `pick` (given the pid) holds; unreadable ones are skipped. */
function pidsWhere(pick: (pid: string) => boolean): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      if (pick(pid)) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

let cleaned = false;
/** Ends all the private daemon started, by pid; safe to call more than once and after any failure. */
async function cleanUp(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    // Containers first, while the daemon answers: a SIGKILLed shim would leave them running.
    for (const c of await engine.listContainers({ all: true }).catch(() => []))
      await engine
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  await stopDaemon('SIGTERM').catch(() => undefined);
  if (netns) killAll(pidsWhere((pid) => pid !== String(holder?.pid) && readlinkSync(`/proc/${pid}/ns/net`) === netns));
  // Container processes of the private daemon (own namespaces; their cgroup names the container id).
  const ids = existsSync(join(dir, 'data', 'containers')) ? readdirSync(join(dir, 'data', 'containers')) : [];
  if (ids.length > 0)
    killAll(
      pidsWhere((pid) => {
        const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
        return ids.some((id) => cgroup.includes(id));
      }),
    );
  if (holder && holder.exitCode === null) {
    const gone = new Promise((r) => holder!.once('exit', r));
    holder.kill('SIGKILL');
    await gone;
  }
  await removeByLabel(hostLabels).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

let bridgesBefore = new Map<string, number>();

test.before(async () => {
  if (process.getuid?.() !== 0 || !tools.every(have) || !(await requireDocker('docker daemon crash e2e'))) return;
  try {
    await ensureFixtureImages();
    // A container of the host daemon on its default bridge (docker0), published on 127.0.0.1.
    const hostContainer = await docker().createContainer({
      name: `${NS}-host`,
      Image: EVERYTHING_IMAGE,
      Cmd: [...EVERYTHING.streamableHttp.cmd],
      Labels: hostLabels,
      ExposedPorts: { [`${EVERYTHING.port}/tcp`]: {} },
      HostConfig: {
        PortBindings: { [`${EVERYTHING.port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
        Memory: 256 * 1024 * 1024,
      },
    });
    await hostContainer.start();
    hostUrl = `http://127.0.0.1:${await publishedPort(hostContainer.id, EVERYTHING.port)}${EVERYTHING.streamableHttp.path}`;
    await assertHostContainerWorks('before the private daemon');
    bridgesBefore = hostBridges();
    assert.ok(bridgesBefore.has('docker0'), 'the host has docker0 before the test');

    await startHolder();
    await startDaemon();
    await assertHostBridgesUntouched(bridgesBefore, 'after the private daemon started');
    await assertHostContainerWorks('after the private daemon started');
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
  } catch (err) {
    await cleanUp();
    throw err;
  }
});

test.after(async () => {
  await cleanUp();
});

test('apply converges after the Docker daemon is killed mid-apply and restarted, without destroy', async () => {
  if (process.getuid?.() !== 0) return skip('a private dockerd in its own network namespace needs root');
  const missing = tools.filter((t) => !have(t));
  if (missing.length > 0) return skip(`${missing.join(', ')} not installed`);
  if (!usable) return skip('the Docker daemon does not answer');
  // The CLI runs in the private daemon's network namespace: the runtime's port is published on its loopback.
  const cli = { wrap: enterNet() };

  const first = await runCli(['apply', '-f', file, '--auto-approve'], cli);
  assert.is(first.code, 0, first.out + first.err);
  // The positive control: the private daemon's networks have their bridges, in its namespace only.
  const [nsenter, ...nsArgs] = enterNet();
  const inside = spawnSync(nsenter!, [...nsArgs, 'ip', '-o', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' });
  const privateNets = (await engine.listNetworks()).filter((n) => n.Driver === 'bridge').map((n) => n.Id);
  assert.ok(privateNets.length > 0, 'apply created networks on the private daemon');
  for (const id of privateNets)
    assert.ok(parseBridges(inside.stdout).has(`br-${id.slice(0, 12)}`), `bridge of ${id} in the private namespace`);
  await assertHostBridgesUntouched(bridgesBefore, 'after the first apply');

  let lost = false;
  for (let attempt = 1; attempt <= 8 && !lost; attempt++) {
    const c = engine.getContainer(name);
    const id = (await c.inspect()).Id;
    await c.stop({ t: 1 }).catch(() => undefined);
    const taskDir = join(dir, 'x', 'containerd', 'daemon', 'io.containerd.runtime.v2.task', NS, id, 'config.json');
    const apply = startCli(['apply', '-f', file, '--auto-approve'], cli);
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
    await assertHostBridgesUntouched(bridgesBefore, `after restart ${attempt}`);
    await assertHostContainerWorks(`after restart ${attempt}`);
    const state = (await c.inspect()).State;
    if (state.Running) continue;
    try {
      await c.start();
      await c.stop({ t: 1 });
    } catch (err) {
      // Where the crash landed decides the shape: the task was created, or only its bundle directory.
      assert.match(String((err as Error).message), LOST, String(err));
      // Lost for good: starting again fails the same way.
      const again = await c.start().then(
        () => 'started',
        (e: Error) => e.message,
      );
      assert.match(again, LOST, again);
      lost = true;
    }
  }
  assert.ok(lost, 'no crash landed while the task was being created');

  const apply = await runCli(['apply', '-f', file, '--auto-approve'], cli);
  assert.is(apply.code, 0, apply.out + apply.err);
  assert.match(apply.out + apply.err, /lost the task .* replacing it/);
  assert.ok((await engine.getContainer(name).inspect()).State.Running, 'the runtime runs');
  const plan = await runCli(['plan', '-f', file, '--detailed-exitcode'], cli);
  assert.is(plan.code, 0, plan.out + plan.err);

  // Nothing of the private daemon is mounted in the host's mount namespace.
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[1]?.startsWith(`${dir}/`));
  assert.equal(mounts, [], 'no mount of the private daemon in the host mount namespace');
  await assertHostBridgesUntouched(bridgesBefore, 'at the end');
  await assertHostContainerWorks('at the end');
});

test.run();
