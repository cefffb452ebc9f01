// A half-written config under `up` never costs a runtime or its data (issue 20): the file is
// written up to just before a runtime's entry and completed after a 0.4 s gap, a 1 s gap, by
// two real `git checkout`s (a work-in-progress commit, then the finished one), and once only
// after `up` has planned the truncated file. Each time the runtime keeps its container and the
// marker file in its /data volume, and the finished file's change is applied exactly once.
// Then, with the file left short for good, the delete runs after --delete-quiet, is logged
// first, and keeps the volume. Real Docker, real files, real git; the gaps are the scenario.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { BUSYBOX_IMAGE, ensureFixtureImages, EVERYTHING_IMAGE } from '../support/images.js';
import { sleep, startCli, type Child } from '../watch/support.js';

const STACK = uniqueName('cfhalf');
const dir = mkdtempSync(join(tmpdir(), 'cf-half-'));
const file = join(dir, 'contextforge.yaml');
let up: Child | undefined;
let dockerOk = false;

/** The whole config; `keeper` (with a /data volume) is the last runtime. */
function full(greeting: string): string {
  return `name: ${STACK}
backends:
  local: { type: docker, allow_local_images: true }
profiles:
  open:
    network: { egress_allowed: true, ingress_ports: [3001] }
    resources: { max_memory: 256m, max_pids: 200 }
  data:
    network: { egress_allowed: true, ingress_ports: [3001] }
    filesystem: { allowed_mounts: [/data] }
    resources: { max_memory: 256m, max_pids: 200 }
catalog:
  - name: Echo
    slug: echo
    source: { type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never }
    transport: { type: streamable-http, port: 3001, path: /mcp }
runtimes:
  - name: alpha
    catalog: echo
    backend: local
    guardrails_profile: open
    env: { GREETING: "${greeting}" }
  - name: keeper
    catalog: echo
    backend: local
    guardrails_profile: data
`;
}

/** What an editor or a sync tool has written when it stops just before keeper's entry. */
const truncated = (greeting: string): string => {
  const text = full(greeting);
  return text.slice(0, text.indexOf('  - name: keeper'));
};

async function container(runtime: string): Promise<{ id: string; env: string[] } | undefined> {
  const list = await docker().listContainers({
    all: true,
    filters: JSON.stringify({
      label: [`dev.contextforge.stack=${STACK}`, `dev.contextforge.address=runtime.${runtime}`],
    }),
  });
  const main = list.find((c) => c.Names.includes(`/cf-${STACK}-${runtime}`));
  if (!main) return undefined;
  const info = await docker().getContainer(main.Id).inspect();
  return { id: main.Id, env: info.Config.Env ?? [] };
}

async function keeperVolume(): Promise<string> {
  const { Volumes } = await docker().listVolumes({
    filters: JSON.stringify({ label: [`dev.contextforge.stack=${STACK}`, 'dev.contextforge.runtime=keeper'] }),
  });
  assert.is(Volumes?.length, 1, `keeper has one volume: ${JSON.stringify(Volumes?.map((v) => v.Name))}`);
  return Volumes![0].Name;
}

/** Runs a shell line in a busybox container with the volume at /data; returns its output. */
async function inVolume(volume: string, script: string): Promise<string> {
  const c = await docker().createContainer({
    Image: BUSYBOX_IMAGE,
    Cmd: ['sh', '-c', script],
    Labels: { 'dev.contextforge.test': STACK },
    HostConfig: { Binds: [`${volume}:/data`], NetworkMode: 'none' },
  });
  try {
    await c.start();
    await c.wait();
    const logs = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    // Multiplexed stream: 8-byte frame headers before each chunk.
    let out = '';
    for (let i = 0; i + 8 <= logs.length;) {
      const len = logs.readUInt32BE(i + 4);
      out += logs.subarray(i + 8, i + 8 + len).toString('utf8');
      i += 8 + len;
    }
    return out;
  } finally {
    await c.remove({ force: true });
  }
}

const git = (...args: string[]): string =>
  execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  }).trim();

const applies = (text: string): number => text.split('Apply complete!').length - 1;

test.before(async () => {
  dockerOk = await requireDocker('half-written config e2e');
  if (dockerOk) await ensureFixtureImages();
});

test.after(async () => {
  if (up && up.proc.exitCode === null) {
    up.proc.kill('SIGKILL');
    await up.done;
  }
  if (dockerOk) {
    await removeByLabel({ 'dev.contextforge.stack': STACK });
    await removeByLabel({ 'dev.contextforge.test': STACK });
  }
  rmSync(dir, { recursive: true, force: true });
});

test('a half-written config never deletes a runtime or its data; the finished file is applied once', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  writeFileSync(file, full('v0'));
  writeFileSync(join(dir, '.gitignore'), '.contextforge/\n');
  up = startCli(['up', '-f', file, '--port', '0'], { cwd: dir });
  await up.waitFor(/Watching .* for changes/, 240_000);
  assert.match(up.out(), /Apply complete! Resources: 2 created/);
  const keeper = await container('keeper');
  assert.ok(keeper, 'keeper runs');
  const volume = await keeperVolume();
  await inVolume(volume, 'echo kept-data > /data/marker');
  assert.is((await inVolume(volume, 'cat /data/marker')).trim(), 'kept-data');

  const survives = async (greeting: string, from: number, what: string): Promise<void> => {
    await up!.waitFor(/Apply complete!/, 240_000, from);
    const alpha = await container('alpha');
    assert.ok(alpha?.env.includes(`GREETING=${greeting}`), `${what}: alpha runs the finished file's ${greeting}`);
    assert.is((await container('keeper'))?.id, keeper!.id, `${what}: keeper's container was never replaced`);
    assert.is((await inVolume(volume, 'cat /data/marker')).trim(), 'kept-data', `${what}: the marker survives`);
  };

  // 1. A 0.4 s pause in the middle of the write.
  let mark = up.mark();
  writeFileSync(file, truncated('v1'));
  await sleep(400);
  writeFileSync(file, full('v1'));
  await survives('v1', mark, '0.4 s gap');

  // 2. A 1 s pause.
  mark = up.mark();
  writeFileSync(file, truncated('v2'));
  await sleep(1000);
  writeFileSync(file, full('v2'));
  await survives('v2', mark, '1 s gap');

  // 3. git rewrites the file in two steps: a work-in-progress commit, then the finished one.
  git('init', '-q', '-b', 'main');
  git('add', 'contextforge.yaml', '.gitignore');
  git('commit', '-q', '-m', 'v2');
  writeFileSync(file, truncated('v3'));
  git('commit', '-q', '-am', 'wip');
  const wip = git('rev-parse', 'HEAD');
  writeFileSync(file, full('v3'));
  git('commit', '-q', '-am', 'v3');
  const done = git('rev-parse', 'HEAD');
  git('checkout', '-q', 'HEAD~2');
  // Back at v2's bytes: nothing to apply. Now the two-step checkout.
  mark = up.mark();
  git('checkout', '-q', wip);
  await sleep(400);
  git('checkout', '-q', done);
  await survives('v3', mark, 'git checkout in two steps');

  // 4. Deterministic: the rest is written only once `up` has planned the truncated file.
  mark = up.mark();
  writeFileSync(file, truncated('v4'));
  await up.waitFor(/The plan deletes runtime\.keeper: waiting until/, 120_000, mark);
  writeFileSync(file, full('v4'));
  await survives('v4', mark, 'completed after the truncated plan');
  assert.not.match(up.all(), /Deleting runtime\.keeper/, 'no delete of keeper was ever started');

  // 5. A file that stays short: the delete runs after the quiet period, logged first, volume kept.
  mark = up.mark();
  writeFileSync(file, truncated('v4'));
  await up.waitFor(/Apply complete! Resources: 0 created, 0 updated, 1 destroyed/, 240_000, mark);
  const after = up.all().slice(mark);
  assert.ok(
    after.indexOf('Deleting runtime.keeper') >= 0 &&
      after.indexOf('Deleting runtime.keeper') < after.indexOf('removing runtime.keeper'),
    `the delete is logged before it runs:\n${after}`,
  );
  assert.is(await container('keeper'), undefined, 'keeper is gone');
  assert.is((await inVolume(volume, 'cat /data/marker')).trim(), 'kept-data', 'its data volume is kept');

  up.proc.kill('SIGINT');
  assert.is(await up.done, 0, up.err());
  // Start, v1..v4 and the one deliberate delete: each finished version applied exactly once.
  assert.is(applies(up.out()), 6, up.out());
});

test.run();
