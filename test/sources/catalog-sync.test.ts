// Remote catalogs (issue 16, part 1) through bin/contextforge.js against a real HTTP registry on
// 127.0.0.1 serving the reference servers' server.json documents (test/fixtures/registry/):
// `catalog sync` pages through /v0/servers, filters, reports a schema failure with its JSON
// pointer and skips it, keeps unknown _meta; `catalog list/search/show` see the entries; a
// second sync revalidates with ETags; a registry answering 500 or nothing keeps the last copy.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureDocs, startRegistry, type FakeRegistry, type RegistryEntry } from '../support/registry-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/contextforge.js');
const dirs: string[] = [];
const registries: FakeRegistry[] = [];

/** Async, so that the registry in this process answers while the CLI runs. */
function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}

function project(sources: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-catsync-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'contextforge.yaml'),
    `name: catsync\nbackends:\n  local: { type: process }\ncatalog_sources:\n${sources}`,
  );
  return dir;
}

/** The fixtures, plus a deprecated entry (filtered out by the default status filter). */
function registryEntries(): RegistryEntry[] {
  const docs = fixtureDocs();
  const old = { ...docs.memory, name: 'io.github.modelcontextprotocol/server-memory-old' };
  return [...Object.values(docs).map((server) => ({ server })), { server: old, status: 'deprecated' as const }];
}

const cache = (dir: string): { synced_at: string; entries: Array<Record<string, Json>>; problems: unknown[] } =>
  JSON.parse(readFileSync(join(dir, '.contextforge/catalog-sources/official.json'), 'utf8'));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the copy
type Json = any;

test.after(async () => {
  for (const r of registries) await r.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function registry(entries = registryEntries()): Promise<FakeRegistry> {
  const r = await startRegistry(entries, 3);
  registries.push(r);
  return r;
}

const official = (url: string, extra = ''): string =>
  `  - name: official\n    url: ${url}\n    format: mcp-registry\n    filter:\n      names: ["io.github.*/*"]\n${extra}`;

test('acceptance: sync pages through the registry, filters, skips the entry failing the schema with its pointer', async () => {
  const reg = await registry();
  const dir = project(official(reg.url));
  const r = await cli(['catalog', 'sync'], dir);
  assert.is(r.code, 0, r.stderr);
  // 10 entries at 3 per page: 4 pages, each after the first asked for with the cursor it was given.
  assert.is(reg.requests.length, 4);
  assert.ok(reg.requests.every((q) => q.url.startsWith('/v0/servers?') && q.url.includes('version=latest')));
  assert.is(reg.requests.filter((q) => q.url.includes('cursor=')).length, 3);
  // weather (com.example) fails filter.names, the deprecated copy fails the status filter.
  assert.match(r.stdout, /official: 6 entries imported \(2 filtered out, 2 skipped\), 4 request\(s\)/);
  assert.match(
    r.stderr,
    /entry io\.github\.example\/unpinned of catalog source "official" is skipped: it fails the registry schema/,
  );
  assert.match(r.stderr, /At \/servers\/\d\/server\/packages\/0\/version of page \d: must not be "latest"/);
  assert.match(r.stderr, /io\.github\.example\/dotnet-tools .* only nuget packages/);

  const c = cache(dir);
  const bySlug = Object.fromEntries(c.entries.map((e) => [e.slug, e]));
  assert.equal(Object.keys(bySlug).sort(), [
    'io-github-github-github-mcp-server',
    'io-github-modelcontextprotocol-server-everything',
    'io-github-modelcontextprotocol-server-fetch',
    'io-github-modelcontextprotocol-server-filesystem',
    'io-github-modelcontextprotocol-server-memory',
    'io-github-modelcontextprotocol-server-sequential-thinking',
  ]);
  const memory = bySlug['io-github-modelcontextprotocol-server-memory'];
  assert.equal(memory.source, {
    type: 'package',
    registry: 'npm',
    name: '@modelcontextprotocol/server-memory',
    version: '2026.8.31',
  });
  assert.equal(memory.transport, { type: 'stdio' });
  assert.is(memory.category, 'knowledge');
  assert.is(memory.env.MEMORY_FILE_PATH.required, undefined);
  assert.is(memory.registry.source, 'official');
  assert.is(memory.registry.name, 'io.github.modelcontextprotocol/server-memory');
  assert.is(memory.registry.version, '2026.8.31');
  assert.match(memory.registry.hash, /^sha256:[0-9a-f]{64}$/);
  assert.equal(bySlug['io-github-modelcontextprotocol-server-everything'].source.args, ['stdio']);
  assert.equal(bySlug['io-github-modelcontextprotocol-server-fetch'].source, {
    type: 'package',
    registry: 'pypi',
    name: 'mcp-server-fetch',
    version: '2025.4.7',
  });
  const gh = bySlug['io-github-github-github-mcp-server'];
  // The OCI package is preferred to the remote; the token is a secret of the entry.
  assert.equal(gh.source, { type: 'docker', image: 'ghcr.io/github/github-mcp-server:0.17.1', args: ['stdio'] });
  assert.is(gh.env.GITHUB_PERSONAL_ACCESS_TOKEN.secret, true);
  // Unknown _meta is kept as served, beside the registry's own.
  assert.equal(gh.registry.meta['com.example.scanner/report'], { scannedAt: '2026-11-02T08:00:00Z', findings: 0 });
  assert.is(gh.registry.meta['io.modelcontextprotocol.registry/official'].status, 'active');
});

test('acceptance: catalog list, search and show see the synced entries', async () => {
  const reg = await registry();
  const dir = project(official(reg.url));
  assert.is((await cli(['catalog', 'sync'], dir)).code, 0);
  const list = await cli(['catalog', 'list', '--source', 'official'], dir);
  assert.is(list.code, 0, list.stderr);
  const slugs = list.stdout
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/)[0])
    .filter(Boolean);
  const expected = [
    'io-github-github-github-mcp-server',
    'io-github-modelcontextprotocol-server-everything',
    'io-github-modelcontextprotocol-server-fetch',
    'io-github-modelcontextprotocol-server-filesystem',
    'io-github-modelcontextprotocol-server-memory',
    'io-github-modelcontextprotocol-server-sequential-thinking',
  ];
  assert.equal(slugs.sort(), expected.sort());
  assert.match(
    list.stdout,
    /io-github-github-github-mcp-server\s+developer\s+docker\s+docker,ibm_code_engine\s+official\s+0\.17\.1/,
  );

  const search = await cli(['catalog', 'search', 'github/github'], dir);
  assert.is(search.code, 0, search.stderr);
  assert.match(search.stdout, /io-github-github-github-mcp-server/);
  assert.not.match(search.stdout, /everything/);
  const show = await cli(['catalog', 'show', 'io-github-github-github-mcp-server'], dir);
  assert.is(show.code, 0, show.stderr);
  assert.match(show.stdout, /from catalog source "official" \(io\.github\.github\/github-mcp-server 0\.17\.1\)/);
  assert.match(show.stdout, /com\.example\.scanner\/report/);
});

test('a second sync revalidates every page with If-None-Match and reuses the copy on 304', async () => {
  const reg = await registry();
  const dir = project(official(reg.url));
  assert.is((await cli(['catalog', 'sync'], dir)).code, 0);
  const before = cache(dir);
  reg.requests.length = 0;
  const again = await cli(['catalog', 'sync'], dir);
  assert.is(again.code, 0, again.stderr);
  assert.is(reg.requests.length, 4);
  assert.ok(reg.requests.every((q) => q.ifNoneMatch && q.status === 304));
  assert.match(
    again.stdout,
    /official: 6 entries imported \(2 filtered out, 2 skipped\), 4 request\(s\), 4 not modified/,
  );
  assert.match(again.stderr, /entry io\.github\.example\/unpinned of catalog source "official" is still skipped/);
  assert.equal(cache(dir).entries, before.entries);
});

test('acceptance: a registry answering 500, or nothing, keeps the last copy with a warning', async () => {
  const reg = await registry();
  const dir = project(official(reg.url, '    timeout: 1s\n'));
  assert.is((await cli(['catalog', 'sync'], dir)).code, 0);
  const before = cache(dir);

  reg.mode = 'fail';
  reg.requests.length = 0;
  const failed = await cli(['catalog', 'sync'], dir);
  assert.is(failed.code, 0, failed.stderr);
  assert.is(reg.requests.length, 4, 'the first try and three retries');
  assert.match(failed.stdout, /official: registry unreachable; keeping the last copy \(6 entries\)/);
  assert.match(
    failed.stderr,
    /warning\[catalog-source\.unreachable\]: catalog source "official" could not be read: HTTP 500 \(after 4 attempts\)/,
  );
  assert.match(
    failed.stderr,
    new RegExp(`The copy synced at ${before.synced_at.replace(/\./g, '\\.')} \\(6 entries\\) stays in use`),
  );
  assert.equal(cache(dir), before);

  reg.mode = 'hang';
  const hung = await cli(['catalog', 'sync'], dir);
  assert.is(hung.code, 0, hung.stderr);
  assert.match(hung.stderr, /could not be read: no answer within 1000 ms \(after 4 attempts\)/);
  assert.equal(cache(dir), before);
  const list = await cli(['catalog', 'list', '--source', 'official'], dir);
  assert.match(list.stdout, /io-github-github-github-mcp-server/);
});

test('a registry down without a copy is an error; a non-http URL and a file outside the config are refused', async () => {
  const reg = await registry();
  reg.mode = 'fail';
  const dir = project(official(reg.url, '    timeout: 1s\n'));
  const r = await cli(['catalog', 'sync'], dir);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[catalog-source\.unreachable\]/);
  assert.match(r.stderr, /there is no synced copy to fall back on/);

  const file = project('  - name: official\n    url: file:///etc/passwd\n    format: mcp-registry\n');
  const f = await cli(['catalog', 'sync'], file);
  assert.is(f.code, 1);
  assert.match(f.stderr, /invalid value "file:\/\/\/etc\/passwd" for "url"/);

  const outside = project('  - name: th\n    file: ../../etc/hostname\n    format: toolhive\n');
  const o = await cli(['catalog', 'sync'], outside);
  assert.is(o.code, 1);
  assert.match(o.stderr, /could not be read: .*outside|leaves/i);
});

test('toolhive: a registry file below the config is imported, namespaced by the source; broken entries are skipped', async () => {
  const dir = project('  - name: stacklok\n    file: registry/toolhive.json\n    format: toolhive\n');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'registry'));
  copyFileSync(join(root, 'test/fixtures/registry/toolhive.json'), join(dir, 'registry/toolhive.json'));
  const r = await cli(['catalog', 'sync'], dir);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /stacklok: 3 entries imported \(1 skipped\)/);
  assert.match(r.stderr, /entry stacklok\/broken .* fails the registry schema/);
  assert.match(r.stderr, /At \/servers\/broken of registry\/toolhive\.json: must have required property 'image'/);
  const c = JSON.parse(readFileSync(join(dir, '.contextforge/catalog-sources/stacklok.json'), 'utf8')) as {
    entries: Array<Record<string, Json>>;
  };
  const gh = c.entries.find((e) => e.slug === 'stacklok-github')!;
  assert.equal(gh.source, { type: 'docker', image: 'ghcr.io/github/github-mcp-server:v0.17.1' });
  assert.is(gh.env.GITHUB_PERSONAL_ACCESS_TOKEN.secret, true);
  assert.equal(gh.registry.meta.tools, ['get_issue', 'create_issue']);
  const remote = c.entries.find((e) => e.slug === 'stacklok-notion-remote')!;
  assert.equal(remote.source, {
    type: 'remote',
    url: 'https://mcp.notion.com/mcp',
    headers: { Authorization: '{AUTHORIZATION}' },
  });
  assert.is(remote.env.AUTHORIZATION.secret, true);
});

test('two registry names that make one slug: the collision is reported and the second left out', async () => {
  const base = fixtureDocs().memory;
  const pkg = (base.packages as Array<Record<string, unknown>>)[0];
  const reg = await registry([
    { server: { ...base, name: 'io.github.acme/mcp-tools' } },
    { server: { ...base, name: 'io.github.acme-mcp/tools' } },
    // Valid server.json, but "1.0" is no exact npm release: the config leaves this entry out.
    { server: { ...base, name: 'io.github.acme/loose', packages: [{ ...pkg, version: '1.0' }] } },
  ]);
  const dir = project(official(reg.url));
  const r = await cli(['catalog', 'sync'], dir);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /official: 2 entries imported \(1 skipped\)/);
  const list = await cli(['catalog', 'list', '--source', 'official'], dir);
  assert.is(list.code, 0, list.stderr);
  assert.match(list.stdout, /io-github-acme-mcp-tools/);
  assert.not.match(list.stdout, /io-github-acme-loose/);
  assert.match(list.stderr, /entry io-github-acme-loose of catalog source "official" is left out/);
  assert.match(
    list.stderr,
    /version "1\.0" of npm package @modelcontextprotocol\/server-memory is not one exact release/,
  );
  assert.match(
    r.stderr,
    /entries io\.github\.acme\/mcp-tools and io\.github\.acme-mcp\/tools of catalog source "official" both become "io-github-acme-mcp-tools"/,
  );
});

test.run();
