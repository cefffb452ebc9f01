// Issue 16 acceptance, end to end: the memory reference server's server.json, imported from a
// registry document by `catalog sync` (a file source here; the HTTP registry path is covered by
// test/sources/catalog-sync.test.ts), becomes the catalog entry
// io-github-modelcontextprotocol-server-memory (package source, npm, exact version). One stack
// runs it on the process backend and on Docker (image built from the fixture node base), and the
// gateway lists and calls both copies' tools: create_entities, then read_graph sees the entity.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { NODE_IMAGE, ensureFixtureImages } from '../support/images.js';
import { fixtureDocs } from '../support/registry-server.js';
import { skip } from '../support/skip.js';
import { startUp, type UpRun } from '../support/package-up.js';

const bin = fileURLToPath(new URL('../../bin/contextforge.js', import.meta.url));
const SLUG = 'io-github-modelcontextprotocol-server-memory';
const STACK = uniqueName('regimp')
  .slice(0, 40)
  .replace(/[^a-z0-9-]/g, '-')
  .replace(/-+$/, '');
let dockerOk = false;
let up: UpRun | undefined;
let synced = '';

test.before(async () => {
  dockerOk = await requireDocker('registry entries on docker');
  if (dockerOk) await ensureFixtureImages();
});

test.after(async () => {
  await up?.stop();
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
});

/** Writes the registry document and the config, then syncs (no network: a file source). */
function prepare(dir: string): string {
  const page = { servers: [{ server: fixtureDocs().memory }], metadata: { count: 1 } };
  writeFileSync(join(dir, 'registry.json'), JSON.stringify(page));
  const config = [
    `name: ${STACK}`,
    'catalog_sources:',
    '  - name: official',
    '    file: registry.json',
    '    format: mcp-registry',
    'backends:',
    '  proc: { type: process }',
    '  dock:',
    '    type: docker',
    '    allow_local_images: true',
    `    package_base_images: { node: "${NODE_IMAGE}" }`,
    'runtimes:',
    '  - name: mem_proc',
    `    catalog: ${SLUG}`,
    '    backend: proc',
    `    env: { MEMORY_FILE_PATH: ${join(dir, 'memory.jsonl')} }`,
    '  - name: mem_dock',
    `    catalog: ${SLUG}`,
    '    backend: dock',
    '    env: { MEMORY_FILE_PATH: /data/memory.jsonl }',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'contextforge.yaml'), config);
  const r = spawnSync(process.execPath, [bin, 'catalog', 'sync'], { cwd: dir, encoding: 'utf8' });
  synced = `${r.status}\n${r.stdout}${r.stderr}`;
  return config;
}

test('the synced memory entry runs on the process backend and on Docker under up', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  up = await startUp({ prefix: 'cf-regimp-', config: prepare });
  assert.match(synced, /^0\nofficial: 1 entries imported/, synced);
  const copy = JSON.parse(readFileSync(join(up.dir, '.contextforge/catalog-sources/official.json'), 'utf8')) as {
    entries: Array<{ slug: string; source: unknown }>;
  };
  assert.equal(copy.entries[0].source, {
    type: 'package',
    registry: 'npm',
    name: '@modelcontextprotocol/server-memory',
    version: '2026.8.31',
  });
  assert.match(up.output(), /Apply complete! Resources: 2 created/);
});

test('the gateway lists and calls the imported server on both backends', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  const c = await up!.client();
  const names = (await c.listTools()).tools.map((t) => t.name);
  for (const rt of ['mem_proc', 'mem_dock']) {
    assert.ok(names.includes(`${rt}__create_entities`), names.join(', '));
    assert.ok(names.includes(`${rt}__read_graph`), names.join(', '));
    const created = await c.callTool({
      name: `${rt}__create_entities`,
      arguments: { entities: [{ name: `imported-${rt}`, entityType: 'project', observations: ['from the registry'] }] },
    });
    assert.not.ok(created.isError, JSON.stringify(created));
    const graph = JSON.stringify((await c.callTool({ name: `${rt}__read_graph`, arguments: {} })).content);
    assert.match(graph, `imported-${rt}`);
    assert.match(graph, 'from the registry');
  }
});

test.run();
