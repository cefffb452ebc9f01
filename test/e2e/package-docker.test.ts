// Package sources on Docker, end to end with the real CLI, a real engine and the real npm
// package: the shipped `memory` entry (@modelcontextprotocol/server-memory at its pinned version)
// on a docker backend whose package_base_images.node is the local fixture node image. The
// release is installed on the host and copied into an image built FROM that base (no network
// inside the engine), tagged by content and reused by the next apply; the gateway lists and
// calls its tools (create_entities, then read_graph sees the entity) through docker exec.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { NODE_IMAGE, ensureFixtureImages } from '../support/images.js';
import { skip } from '../support/skip.js';
import { runCli, startUp, type UpRun } from '../support/package-up.js';

const STACK = uniqueName('pkgdock')
  .slice(0, 40)
  .replace(/[^a-z0-9-]/g, '-')
  .replace(/-+$/, '');
let dockerOk = false;
let up: UpRun | undefined;

test.before(async () => {
  dockerOk = await requireDocker('package sources on docker');
  if (dockerOk) await ensureFixtureImages();
});

test.after(async () => {
  await up?.stop();
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
});

const config = (): string =>
  [
    `name: ${STACK}`,
    'backends:',
    '  local:',
    '    type: docker',
    '    allow_local_images: true',
    `    package_base_images: { node: "${NODE_IMAGE}" }`,
    'runtimes:',
    '  - name: memory',
    '    catalog: memory',
    '    backend: local',
    '    env: { MEMORY_FILE_PATH: /data/memory.jsonl }',
    '',
  ].join('\n');

test('up builds the package image from the fixture node base and runs memory on Docker', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  up = await startUp({ prefix: 'cf-pkg-docker-', config });
  assert.match(up.output(), /Apply complete! Resources: 1 created/);
  const containers = await docker().listContainers({
    filters: JSON.stringify({ label: [`dev.contextforge.stack=${STACK}`, 'dev.contextforge.role=main'] }),
  });
  assert.is(containers.length, 1, JSON.stringify(containers));
  const image = containers[0].Image;
  assert.match(image, /^contextforge-package\/modelcontextprotocol-server-memory:2026\.8\.31-[0-9a-f]{12}$/);
  const info = await docker().getImage(image).inspect();
  assert.is(info.Config.Labels['dev.contextforge.package.name'], '@modelcontextprotocol/server-memory');
  assert.is(info.Config.Labels['dev.contextforge.package.version'], '2026.8.31');
  // Built FROM the fixture base: its layers are the base's layers plus ours.
  const base = await docker().getImage(NODE_IMAGE).inspect();
  assert.ok(
    base.RootFS.Layers!.every((l, i) => info.RootFS.Layers![i] === l),
    'the package image is built on the fixture node image',
  );
});

test('the gateway lists and calls the memory tools on Docker', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  const c = await up!.client();
  const names = (await c.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('memory__create_entities'), names.join(', '));
  assert.ok(names.includes('memory__read_graph'), names.join(', '));
  const created = await c.callTool({
    name: 'memory__create_entities',
    arguments: { entities: [{ name: 'contextforge', entityType: 'project', observations: ['runs in a container'] }] },
  });
  assert.not.ok(created.isError, JSON.stringify(created));
  const graph = JSON.stringify((await c.callTool({ name: 'memory__read_graph', arguments: {} })).content);
  assert.match(graph, 'contextforge');
  assert.match(graph, 'runs in a container');
});

test('the next plan is a no-op: the content-tagged image and container are current', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  const r = await runCli(['plan', '--detailed-exitcode', '-f', up!.configFile]);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /No changes\./);
});

test.run();
