// Docker mode of the Code Engine emulator, driven by the production client: app images run as
// local containers on 127.0.0.1 (an MCP client lists tools through the app's endpoint), secrets
// reach the env, PATCH replaces the container, failures show in status, build runs really build.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit } from 'simple-git';
import { CodeEngineClient, type ProjectClient } from '../../src/backends/code-engine/client.js';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../src/emulators/code-engine/index.js';
import { EMULATOR_LABEL } from '../../src/emulators/code-engine/docker-runtime.js';
import { docker, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { BUSYBOX_IMAGE, EVERYTHING, EVERYTHING_IMAGE, ensureFixtureImages } from '../support/images.js';
import { connectStreamableHttp } from '../support/mcp.js';

let enabled = false;
let emu: CodeEngineEmulator;
let client: CodeEngineClient;
let project: ProjectClient;
let repoDir = '';
const builtTag = `${uniqueName('cfemu-test/built')}:1`;

const small = { scale_cpu_limit: '0.5', scale_memory_limit: '1G' } as const;

async function containersOf(app?: string): Promise<Array<{ Id: string; State: string }>> {
  const label = [`${EMULATOR_LABEL}=${emu.emulatorId}`];
  if (app) label.push(`${EMULATOR_LABEL}.app=${app}`);
  return docker().listContainers({ all: true, filters: JSON.stringify({ label }) });
}

async function settle(name: string, afterRevision?: string) {
  return (await project.apps.waitUntilSettled(name, { intervalMs: 200, timeoutMs: 60_000, afterRevision })).value;
}

test.before(async () => {
  enabled = await requireDocker('code engine emulator docker mode');
  if (!enabled) return;
  await ensureFixtureImages();
  emu = await startCodeEngineEmulator({ docker: true, log: () => undefined });
  client = new CodeEngineClient({
    apiKey: 'docker-mode',
    region: 'us-south',
    serviceUrl: emu.url,
    iamUrl: emu.iamUrl,
    retryBaseMs: 10,
  });
  project = client.project(emu.projects[0].id);
});

test.after(async () => {
  if (!enabled) return;
  await client.close();
  const id = emu.emulatorId;
  await emu.close();
  const left = await docker().listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${EMULATOR_LABEL}=${id}`] }),
  });
  if (repoDir) await rm(repoDir, { recursive: true, force: true });
  await docker()
    .getImage(builtTag)
    .remove()
    .catch(() => undefined);
  assert.is(left.length, 0, 'close() removed every container of the emulator');
  const nets = await docker().listNetworks({ filters: JSON.stringify({ label: [`${EMULATOR_LABEL}=${id}`] }) });
  assert.is(nets.length, 0, 'close() removed the project networks');
});

test('the everything image runs as an app; its endpoint on 127.0.0.1 serves MCP', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  const created = await project.apps.create({
    name: 'everything',
    image_reference: EVERYTHING_IMAGE,
    image_port: EVERYTHING.port,
    ...small,
  });
  assert.is(created.value.status, 'deploying');
  const app = await settle('everything');
  assert.is(app.status, 'ready', JSON.stringify(app.status_details));
  assert.match(app.endpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  const mcp = await connectStreamableHttp(`${app.endpoint}${EVERYTHING.streamableHttp.path}`);
  try {
    const tools = await mcp.listTools();
    assert.ok(
      tools.tools.some((t) => t.name === EVERYTHING.tools.echo),
      'echo tool listed',
    );
  } finally {
    await mcp.close();
  }
  const [inst] = await project.apps.listInstances('everything');
  assert.is(inst.status, 'running');
  assert.is(inst.revision_name, 'everything-00001');
  assert.is(inst.status_details.restarts, 0);
  const containers = await containersOf('everything');
  assert.is(containers.length, 1);
});

test('project visibility: an app reaches another by its endpoint_internal; a project-only app has no host port', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  const secretText = `inside-${Math.random().toString(36).slice(2)}`;
  const serve = (body: string): string =>
    `mkdir -p /tmp/www && echo "${body}" > /tmp/www/index.html && exec httpd -f -p "$PORT" -h /tmp/www`;
  await project.apps.create({
    name: 'inner',
    image_reference: BUSYBOX_IMAGE,
    image_port: 8080,
    managed_domain_mappings: 'local',
    run_commands: ['/bin/sh', '-c', serve(secretText)],
    ...small,
  });
  const inner = await settle('inner');
  assert.is(inner.status, 'ready', JSON.stringify(inner.status_details));
  assert.is(inner.endpoint, undefined, 'no endpoint outside the project');
  assert.match(inner.endpoint_internal ?? '', /^http:\/\/inner\.[a-z0-9]+\.svc\.cluster\.local:8080$/);
  const [c] = await containersOf('inner');
  const info = await docker().getContainer(c.Id).inspect();
  const bound = Object.values(info.NetworkSettings.Ports ?? {}).filter((b) => b && b.length);
  assert.equal(bound, [], 'no port of a project-only app is published on the host');

  // A public app of the same project fetches the inner one by its internal URL and serves it.
  const fetchInner = `mkdir -p /tmp/www && until wget -q -O /tmp/www/index.html ${inner.endpoint_internal}/; do sleep 0.2; done; exec httpd -f -p "$PORT" -h /tmp/www`;
  await project.apps.create({
    name: 'outer',
    image_reference: BUSYBOX_IMAGE,
    image_port: 8080,
    run_commands: ['/bin/sh', '-c', fetchInner],
    ...small,
  });
  const outer = await settle('outer');
  assert.is(outer.status, 'ready', JSON.stringify(outer.status_details));
  assert.match(outer.endpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.is((await (await fetch(`${outer.endpoint}/`)).text()).trim(), secretText, 'reached over internal DNS');
  for (const n of ['inner', 'outer']) {
    await project.apps.delete(n);
    assert.ok(await project.apps.waitUntilGone(n, { intervalMs: 100, timeoutMs: 30_000 }));
  }
});

test('secret env, run_commands and PORT reach the container; PATCH replaces it', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  const value = `hello-${Math.random().toString(36).slice(2)}`;
  await project.secrets.create({ name: 'greeting', format: 'generic', data: { text: value } });
  const serve =
    'mkdir -p /tmp/www && echo "$GREETING $EXTRA $CE_APP" > /tmp/www/index.html && exec httpd -f -p "$PORT" -h /tmp/www';
  await project.apps.create({
    name: 'hello',
    image_reference: BUSYBOX_IMAGE,
    image_port: 8080,
    run_commands: ['/bin/sh', '-c', serve],
    run_env_variables: [
      { type: 'secret_key_reference', name: 'GREETING', reference: 'greeting', key: 'text' },
      { type: 'literal', name: 'EXTRA', value: 'one' },
    ],
    ...small,
  });
  const first = await settle('hello');
  assert.is(first.status, 'ready', JSON.stringify(first.status_details));
  assert.is((await (await fetch(`${first.endpoint}/`)).text()).trim(), `${value} one hello`);
  const [before] = await containersOf('hello');

  const patched = await project.apps.patchWithRetryOn412('hello', () => ({
    run_env_variables: [
      { type: 'secret_key_reference', name: 'GREETING', reference: 'greeting', key: 'text' },
      { type: 'literal', name: 'EXTRA', value: 'two' },
    ],
  }));
  assert.ok(patched.updated);
  // Realistic mode: the revision appears after the PATCH has answered.
  const second = await settle('hello', 'hello-00001');
  assert.is(second.status, 'ready');
  assert.is(second.status_details.latest_ready_revision, 'hello-00002');
  assert.is((await (await fetch(`${second.endpoint}/`)).text()).trim(), `${value} two hello`);
  const after = await containersOf('hello');
  assert.is(after.length, 1, 'the old container is gone');
  assert.is.not(after[0].Id, before.Id, 'a new container serves the new revision');

  await project.apps.delete('hello');
  assert.ok(
    await project.apps.waitUntilGone('hello', { intervalMs: 100, timeoutMs: 30_000 }),
    'deleted (asynchronously)',
  );
  assert.is(await project.apps.find('hello'), null);
  for (let i = 0; i < 50 && (await containersOf('hello')).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.is((await containersOf('hello')).length, 0, 'DELETE removed the container');
});

test('an app whose container exits is failed with the exit code; a missing image fails too', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  await project.apps.create({
    name: 'crash',
    image_reference: BUSYBOX_IMAGE,
    run_commands: ['/bin/sh', '-c', 'exit 3'],
    ...small,
  });
  const crashed = await settle('crash');
  assert.is(crashed.status, 'failed');
  const [rev] = await project.apps.listRevisions('crash');
  assert.is(rev.status, 'failed');
  assert.is(rev.status_details.reason, 'container_failed_exit_code_3');
  const [inst] = await project.apps.listInstances('crash');
  assert.is(inst.status, 'failed');
  assert.ok(inst.status_details.restarts >= 1, 'restarts come from the container RestartCount');

  await project.apps.create({ name: 'noimage', image_reference: 'contextforge-fixture/does-not-exist:1', ...small });
  const missing = await settle('noimage');
  assert.is(missing.status, 'failed');
  assert.is(
    (await project.apps.listRevisions('noimage'))[0].status_details.reason,
    'fetch_image_failed_unknown_manifest',
  );
});

test('a build run clones a local git repo at source_revision and really builds output_image', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  repoDir = await mkdtemp(join(tmpdir(), 'cfemu-repo-'));
  const git = simpleGit({ baseDir: repoDir, config: ['user.name=Emu Tester', 'user.email=emu@example.invalid'] });
  await git.init(['--initial-branch=main']);
  await mkdir(join(repoDir, 'svc'));
  await writeFile(join(repoDir, 'svc', 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nCOPY msg.txt /msg.txt\n`);
  await writeFile(join(repoDir, 'svc', 'msg.txt'), 'v1\n');
  await git.add('.');
  await git.commit('v1');
  const v1 = (await git.revparse(['HEAD'])).trim();
  await writeFile(join(repoDir, 'svc', 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN exit 7\n`);
  await git.add('.');
  await git.commit('broken');

  await project.builds.create({
    name: 'svc',
    output_image: builtTag,
    output_secret: 'ce-auto-icr-private-us-south',
    strategy_type: 'dockerfile',
    source_url: pathToFileURL(repoDir).href,
    source_revision: v1,
    source_context_dir: 'svc',
  });
  const run = await project.buildRuns.create({ build_name: 'svc' });
  const done = await project.buildRuns.waitForCompletion(run.value.name, { intervalMs: 200, timeoutMs: 120_000 });
  assert.is(done.status, 'succeeded', JSON.stringify(done.status_details));
  assert.is(done.status_details.git_commit_sha, v1);
  assert.is(done.status_details.git_commit_author, 'Emu Tester');
  const image = await docker().getImage(builtTag).inspect();
  assert.is(done.status_details.output_digest, image.Id);

  const broken = await project.buildRuns.create({ build_name: 'svc', source_revision: 'main' });
  const failed = await project.buildRuns.waitForCompletion(broken.value.name, { intervalMs: 200, timeoutMs: 120_000 });
  assert.is(failed.status, 'failed');
  assert.is(failed.status_details.reason, 'failed');
  assert.is.not(failed.status_details.git_commit_sha, v1, 'built from the head of main');

  const remote = await project.buildRuns.create({ build_name: 'svc', source_url: 'https://example.com/repo.git' });
  const unreachable = await project.buildRuns.waitForCompletion(remote.value.name, {
    intervalMs: 100,
    timeoutMs: 30_000,
  });
  assert.is(unreachable.status, 'failed');
  assert.is(unreachable.status_details.reason, 'missing_code_repo_access');
});

test.run();
