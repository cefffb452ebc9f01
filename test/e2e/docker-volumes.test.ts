// Data volumes of allowed_mounts, end to end through the CLI on the real Docker engine: a server
// whose image runs as a non-root user (USER mcp, by name) can write to its mounts under the
// shipped `standard` profile; the data survives a replace; destroy keeps the volumes by default
// and names them in its plan and summary; a later apply takes them over with the data; destroy
// --delete-volumes lists and removes them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { EVERYTHING_IMAGE, FIXTURE_USER, ensureFixtureImages } from '../support/images.js';
import { skip } from '../support/skip.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const STACK = uniqueName('cfvol');
const IMAGE = `contextforge-test/${STACK}:nonroot`;
const dir = mkdtempSync(join(tmpdir(), 'cf-volumes-e2e-'));
const configFile = join(dir, 'contextforge.yaml');
let dockerOk = false;

function writeConfig(env: Record<string, string>): void {
  writeFileSync(
    configFile,
    [
      `name: ${STACK}`,
      'backends:',
      '  local:',
      '    type: docker',
      '    allow_local_images: true',
      'catalog:',
      '  - name: Notes',
      '    slug: notes',
      `    source: { type: docker, image: "${IMAGE}", args: [streamableHttp], pull: never }`,
      '    transport: { type: streamable-http, port: 3001, path: /mcp }',
      'runtimes:',
      '  - name: notes',
      '    catalog: notes',
      '    backend: local',
      '    guardrails_profile: standard',
      `    env: ${JSON.stringify(env)}`,
      '',
    ].join('\n'),
  );
}

const RUNNER = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";

function cf(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', RUNNER, ...args, '-f', configFile],
    { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, out, err })));
}

/** Runs a command in the main container as its own (image) user; returns exit code and output. */
async function exec(cmd: string[]): Promise<{ code: number; out: string }> {
  const [c] = await docker().listContainers({
    filters: { label: [`dev.contextforge.stack=${STACK}`, 'dev.contextforge.role=main'] },
  });
  assert.ok(c, 'the main container runs');
  const e = await docker().getContainer(c.Id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (b: Buffer) => chunks.push(b));
  await new Promise((r) => stream.on('end', r));
  const raw = Buffer.concat(chunks);
  // Demultiplex Docker's 8-byte frame headers.
  let text = '';
  for (let i = 0; i + 8 <= raw.length;) {
    const n = raw.readUInt32BE(i + 4);
    text += raw.subarray(i + 8, i + 8 + n).toString('utf8');
    i += 8 + n;
  }
  return { code: (await e.inspect()).ExitCode ?? -1, out: text };
}

const volumeNames = async (): Promise<string[]> =>
  ((await docker().listVolumes({ filters: { label: [`dev.contextforge.stack=${STACK}`] } })).Volumes ?? [])
    .map((v) => v.Name)
    .sort();

test.before(async () => {
  dockerOk = await requireDocker('docker volumes e2e');
  if (!dockerOk) return;
  await ensureFixtureImages();
  const ctx = mkdtempSync(join(tmpdir(), 'cf-nonroot-'));
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${EVERYTHING_IMAGE}\nUSER ${FIXTURE_USER.name}\n`);
  const stream = await docker().buildImage({ context: ctx, src: ['Dockerfile'] }, { t: IMAGE, networkmode: 'none' });
  await new Promise<void>((resolve, reject) =>
    docker().modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) =>
      err || out.some((o) => o.error) ? reject(err ?? new Error(JSON.stringify(out))) : resolve(),
    ),
  );
  rmSync(ctx, { recursive: true, force: true });
});

test.after(async () => {
  if (dockerOk) {
    await removeByLabel({ 'dev.contextforge.stack': STACK });
    await docker()
      .getImage(IMAGE)
      .remove()
      .catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
});

test('a non-root server writes to its allowed mounts; destroy keeps them unless --delete-volumes', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  writeConfig({ LEVEL: 'info' });
  let r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);

  const write =
    "require('fs').writeFileSync('/data/note.txt', 'kept'); require('fs').writeFileSync('/cache/c', 'x'); console.log(process.getuid())";
  let x = await exec(['node', '-e', write]);
  assert.is(x.code, 0, `writing to /data and /cache as the image's user: ${x.out}`);
  assert.is(x.out.trim(), String(FIXTURE_USER.uid), 'the server runs as the non-root user of the image');

  // A replace (env edit) keeps the volume and its data.
  writeConfig({ LEVEL: 'debug' });
  r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /replace/);
  x = await exec(['node', '-e', "process.stdout.write(require('fs').readFileSync('/data/note.txt', 'utf8'))"]);
  assert.is(x.out, 'kept');

  const volumes = await volumeNames();
  assert.is(volumes.length, 2, volumes.join(', '));

  // Destroy: its plan names each volume as kept, and so does its summary; the volumes stay.
  r = await cf('destroy', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  for (const v of volumes) {
    assert.ok(r.out.includes(`keep data volume ${v} (destroy --delete-volumes removes it)`), r.out);
  }
  assert.match(r.out, /Kept 2 data volume\(s\)/);
  assert.equal(await volumeNames(), volumes, 'destroy kept the data volumes');
  const containers = await docker().listContainers({
    all: true,
    filters: { label: [`dev.contextforge.stack=${STACK}`] },
  });
  assert.is(containers.length, 0, 'destroy removed every container');

  // A second destroy has nothing to remove but still names the kept volumes.
  r = await cf('destroy', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  assert.ok(
    (r.out + r.err).includes(`Data volumes kept by an earlier delete stay: ${volumes.join(', ')}`),
    r.out + r.err,
  );
  assert.equal(await volumeNames(), volumes);

  // Applying the config again creates the runtime on its kept volumes.
  r = await cf('plan');
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /reuse kept data volume/, 'the runtime takes its kept volumes over');
  r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  x = await exec(['node', '-e', "process.stdout.write(require('fs').readFileSync('/data/note.txt', 'utf8'))"]);
  assert.is(x.out, 'kept', 'the data of the kept volume is back');

  // destroy --delete-volumes lists them as deleted and removes them.
  r = await cf('destroy', '--auto-approve', '--delete-volumes');
  assert.is(r.code, 0, r.out + r.err);
  for (const v of volumes) assert.ok(r.out.includes(`delete data volume ${v}`), r.out);
  assert.equal(await volumeNames(), [], 'destroy --delete-volumes removed them');
});

test.run();
