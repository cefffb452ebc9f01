// The timer of the periodic catalog sync (src/watch/catalog-refresh.ts) against real registries
// on 127.0.0.1 and real files: a copy already older than its sync_interval is checked soon after
// start while a fresh one waits, and stop() ends a check in flight on a registry that never
// answers (the request is aborted, nothing is reported after stop). Waits on requests, not time.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogCachePath, readCatalogSources } from '../../src/config/index.js';
import { closeFetcher } from '../../src/sources/registry/fetch.js';
import { syncCatalogSources } from '../../src/sources/registry/sync.js';
import { startCatalogRefresh } from '../../src/watch/catalog-refresh.js';
import { fixtureDocs, startRegistry } from '../support/registry-server.js';
import { until } from './support.js';

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function configIn(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-catrefresh-'));
  dirs.push(dir);
  const path = join(dir, 'contextforge.yaml');
  writeFileSync(path, ['name: catrefresh', 'backends:', '  local: { type: process }', ...lines, ''].join('\n'));
  return path;
}

test('a copy older than its sync_interval is checked soon after start; a fresh copy waits', async () => {
  const docs = fixtureDocs();
  const fresh = await startRegistry([{ server: structuredClone(docs.memory) }]);
  const old = await startRegistry([{ server: structuredClone(docs.memory) }]);
  const path = configIn([
    'catalog_sources:',
    // The fresh source comes first: were it due, the round would ask its registry before the old one.
    ...[
      ['fresh', fresh.url],
      ['old', old.url],
    ].flatMap(([name, url]) => [
      `  - name: ${name}`,
      `    url: ${url}`,
      '    format: mcp-registry',
      '    pin: false',
      '    sync_interval: 1h',
    ]),
  ]);
  const cfg = readCatalogSources(path);
  try {
    await syncCatalogSources({ configDir: cfg.dir, sources: cfg.sources, confinement: cfg.confinement });
    const oldCopy = catalogCachePath(cfg.dir, 'old');
    const doc = JSON.parse(readFileSync(oldCopy, 'utf8')) as { synced_at: string };
    doc.synced_at = new Date(Date.now() - 2 * 3600_000).toISOString();
    writeFileSync(oldCopy, JSON.stringify(doc));
    const freshBefore = fresh.requests.length;
    const oldBefore = old.requests.length;

    const written: string[] = [];
    const changed: string[][] = [];
    const refresh = startCatalogRefresh({
      path,
      say: () => undefined,
      report: () => undefined,
      written: (f) => written.push(f),
      onChanged: (s) => changed.push([...s]),
    });
    try {
      await until(async () => written.length > 0, 60_000, 'the old copy to be synced', 20);
    } finally {
      await refresh.stop();
    }
    assert.equal(written, [oldCopy]);
    assert.ok(old.requests.length > oldBefore);
    // The registry had nothing new (304 with the cached ETag): no reconcile pass is asked for.
    assert.is(old.requests.at(-1)?.status, 304);
    assert.equal(changed, []);
    assert.is(fresh.requests.length, freshBefore, 'the fresh copy was not checked');
    const after = JSON.parse(readFileSync(oldCopy, 'utf8')) as { synced_at: string };
    assert.ok(Date.parse(after.synced_at) > Date.now() - 3600_000, after.synced_at);
  } finally {
    await fresh.close();
    await old.close();
    await closeFetcher();
  }
});

test('stop() ends a check in flight on a registry that never answers, and nothing is reported after it', async () => {
  const hung: ServerResponse[] = [];
  let arrived: () => void = () => undefined;
  const first = new Promise<void>((r) => (arrived = r));
  const server = createServer((_req, res) => {
    hung.push(res);
    arrived();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const path = configIn([
    'catalog_sources:',
    '  - name: stuck',
    `    url: ${url}`,
    '    format: mcp-registry',
    '    sync_interval: 1s',
    '    timeout: 10m',
  ]);
  const said: string[] = [];
  const reported: string[] = [];
  const refresh = startCatalogRefresh({
    path,
    say: (l) => said.push(l),
    report: (d) => reported.push(...d.map((x) => x.summary)),
    onChanged: () => assert.unreachable('nothing changed'),
  });
  try {
    await first;
    await refresh.stop();
    assert.equal(said, []);
    assert.equal(reported, []);
  } finally {
    for (const r of hung) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test.run();
