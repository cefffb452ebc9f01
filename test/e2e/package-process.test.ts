// Package sources on the process backend, end to end with the real CLI and real npm packages:
// every shipped catalog entry that runs here (a package source for the process backend that
// needs no secret) is applied in one stack, the gateway lists each one's tools, and the memory
// server's tools are called through the gateway (create_entities, then read_graph sees the
// entity). The release is installed once into the machine-wide cache, before the handshake.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CatalogEntry } from '../../src/generated/config.js';
import { packageCacheDir, packageDir } from '../../src/sources/package/install.js';
import { runCli, startUp, type UpRun } from '../support/package-up.js';

const shipped = readdirSync('catalog')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => parse(readFileSync(join('catalog', f), 'utf8')) as CatalogEntry);
/** Runnable here: a package for the process backend whose required env holds no secret. */
const runnable = shipped.filter(
  (e) =>
    e.source.type === 'package' &&
    (e.supported_backends ?? []).includes('process') &&
    !Object.values(e.env ?? {}).some((v) => v.required),
);

let up: UpRun | undefined;

test.after(async () => {
  await up?.stop();
});

test('the shipped catalog has runnable package entries (memory among them)', () => {
  const slugs = runnable.map((e) => e.slug);
  assert.ok(slugs.includes('memory'), slugs.join(', '));
  assert.ok(slugs.length >= 3, slugs.join(', '));
});

test('up applies every runnable shipped package entry on the process backend', async () => {
  const config = (dir: string): string => {
    const lines = ['name: pkgproc', 'backends:', '  local: { type: process }', 'runtimes:'];
    for (const e of runnable) {
      lines.push(`  - name: ${e.slug.replace(/-/g, '_')}`, `    catalog: ${e.slug}`, '    backend: local');
      if (e.slug === 'memory') lines.push(`    env: { MEMORY_FILE_PATH: ${join(dir, 'memory.jsonl')} }`);
    }
    return `${lines.join('\n')}\n`;
  };
  up = await startUp({ prefix: 'cf-pkg-proc-', config });
  assert.match(up.output(), /Apply complete! Resources: \d+ created/);
  for (const e of runnable) {
    const src = e.source as { registry: 'npm'; name: string; version: string };
    assert.ok(existsSync(join(packageDir(packageCacheDir(), src), '.contextforge-installed')), `${src.name} cached`);
  }
});

test('the lock pins each package source as name + exact version', async () => {
  const r = await runCli(['lock', '-f', up!.configFile]);
  assert.is(r.code, 0, r.out);
  const lock = parse(readFileSync(join(up!.dir, 'contextforge.lock'), 'utf8')) as {
    runtimes: Record<
      string,
      { artifact?: { type: string; ref: string; digest?: string }; surface?: { tools: Record<string, unknown> } }
    >;
  };
  // The installed release's tool surface is read and pinned too.
  assert.ok(lock.runtimes.memory?.surface?.tools.create_entities, JSON.stringify(lock.runtimes.memory));
  for (const e of runnable) {
    const src = e.source as { name: string; version: string };
    assert.equal(lock.runtimes[e.slug.replace(/-/g, '_')]?.artifact, {
      type: 'package',
      ref: `npm:${src.name}`,
      digest: `${src.name}@${src.version}`,
    });
  }
});

test('the gateway lists the tools of each one', async () => {
  const c = await up!.client();
  const names = (await c.listTools()).tools.map((t) => t.name);
  for (const e of runnable) {
    const prefix = `${e.slug.replace(/-/g, '_')}__`;
    assert.ok(
      names.some((n) => n.startsWith(prefix)),
      `no tools of ${e.slug} in: ${names.join(', ')}\n${up!.output()}`,
    );
  }
  assert.ok(names.includes('memory__create_entities'), names.join(', '));
  assert.ok(names.includes('memory__read_graph'), names.join(', '));
});

test('memory: create_entities through the gateway, then read_graph sees the entity', async () => {
  const c = await up!.client();
  const created = await c.callTool({
    name: 'memory__create_entities',
    arguments: { entities: [{ name: 'contextforge', entityType: 'project', observations: ['runs MCP servers'] }] },
  });
  assert.not.ok(created.isError, JSON.stringify(created));
  const graph = await c.callTool({ name: 'memory__read_graph', arguments: {} });
  const text = JSON.stringify(graph.content);
  assert.match(text, 'contextforge');
  assert.match(text, 'runs MCP servers');
  // The graph lives where the runtime's env put it, not in the shared package cache.
  assert.match(readFileSync(join(up!.dir, 'memory.jsonl'), 'utf8'), 'contextforge');
});

test.run();
