// Registry entries pinned in contextforge.lock (issue 16, part 1): `lock` pins every synced entry
// (version + content hash); a registry that changes an entry's version (or only its content)
// makes the next `plan` show the catalog change from the lock, in text, JSON and markdown, and
// `lock --check` fail, until `lock` is run again. Real CLI, real HTTP registry on 127.0.0.1.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { fixtureDocs, startRegistry, type FakeRegistry } from '../support/registry-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/contextforge.js');
let reg: FakeRegistry;
let dir: string;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}

interface LockDoc {
  catalog?: Record<string, { source: string; name: string; version?: string; hash: string }>;
}
const lockDoc = (): LockDoc => parse(readFileSync(join(dir, 'contextforge.lock'), 'utf8')) as LockDoc;
const MEMORY = 'io-github-modelcontextprotocol-server-memory';

test.before(async () => {
  const docs = fixtureDocs();
  reg = await startRegistry(
    ['memory', 'everything', 'sequential-thinking', 'filesystem'].map((k) => ({ server: structuredClone(docs[k]) })),
    2,
  );
  dir = mkdtempSync(join(tmpdir(), 'cf-catlock-'));
  writeFileSync(
    join(dir, 'contextforge.yaml'),
    `name: catlock\nbackends:\n  local: { type: process }\ncatalog_sources:\n  - name: official\n    url: ${reg.url}\n    format: mcp-registry\n  - name: unpinned\n    url: ${reg.url}\n    format: mcp-registry\n    pin: false\n    filter: { names: ["none/*"] }\n`,
  );
});

test.after(async () => {
  await reg.close();
  rmSync(dir, { recursive: true, force: true });
});

test('acceptance: lock pins synced entries; a registry version change shows in plan from the lock', async () => {
  assert.is((await cli(['catalog', 'sync'])).code, 0);
  const locked = await cli(['lock']);
  assert.is(locked.code, 0, locked.stderr);
  assert.match(locked.stdout, /4 catalog entries pinned/);
  const pin = lockDoc().catalog?.[MEMORY];
  assert.ok(pin, JSON.stringify(lockDoc()));
  assert.is(pin!.source, 'official');
  assert.is(pin!.name, 'io.github.modelcontextprotocol/server-memory');
  assert.is(pin!.version, '2026.8.31');
  assert.match(pin!.hash, /^sha256:[0-9a-f]{64}$/);

  const clean = await cli(['plan']);
  assert.is(clean.code, 0, clean.stderr);
  assert.not.match(clean.stdout, /Catalog entries changed/);
  assert.is((await cli(['lock', '--check'])).code, 0);

  // The publisher releases a new version of memory.
  const memory = reg.entries[0].server as { version: string; packages: Array<{ version: string }> };
  memory.version = '2026.9.1';
  memory.packages[0].version = '2026.9.1';
  assert.is((await cli(['catalog', 'sync'])).code, 0);

  const plan = await cli(['plan']);
  assert.is(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /Catalog entries changed since contextforge\.lock:/);
  assert.match(
    plan.stdout,
    /~ io-github-modelcontextprotocol-server-memory \(official: io\.github\.modelcontextprotocol\/server-memory\) changed version: 2026\.8\.31 → 2026\.9\.1/,
  );
  assert.not.match(plan.stdout, /server-everything/);
  const json = JSON.parse((await cli(['plan', '--json'])).stdout) as { catalog: Array<Record<string, unknown>> };
  assert.equal(json.catalog.length, 1);
  assert.is(json.catalog[0].slug, MEMORY);
  assert.is(json.catalog[0].change, 'changed');
  assert.equal((json.catalog[0].before as { version: string }).version, '2026.8.31');
  assert.equal((json.catalog[0].after as { version: string }).version, '2026.9.1');
  const md = await cli(['plan', '--format', 'markdown']);
  assert.match(md.stdout, /#### Catalog entries changed since contextforge\.lock/);

  const check = await cli(['lock', '--check']);
  assert.is(check.code, 1);
  assert.match(
    check.stdout,
    /- catalog: io-github-modelcontextprotocol-server-memory .* changed version: 2026\.8\.31 → 2026\.9\.1/,
  );

  // Reviewed: the lock takes the new pin and plan is quiet again.
  assert.is((await cli(['lock'])).code, 0);
  assert.is(lockDoc().catalog?.[MEMORY]?.version, '2026.9.1');
  assert.not.match((await cli(['plan'])).stdout, /Catalog entries changed/);
});

test('a change of content under the same version, an entry gone and a new one all show', async () => {
  const seq = reg.entries[2].server as { description: string };
  seq.description = 'Step-by-step thinking, now with branches.';
  const gone = reg.entries.splice(1, 1); // everything leaves the registry
  reg.entries.push({
    server: { ...structuredClone(gone[0].server), name: 'io.github.modelcontextprotocol/server-everything-2' },
  });
  assert.is((await cli(['catalog', 'sync'])).code, 0);
  const plan = await cli(['plan']);
  assert.is(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /~ io-github-modelcontextprotocol-server-sequential-thinking .* changed content: sha256:/);
  assert.match(
    plan.stdout,
    /- io-github-modelcontextprotocol-server-everything \(official: .*\) is pinned in the lock but no longer synced/,
  );
  assert.ok(
    /\+ io-github-modelcontextprotocol-server-everything-2 \(official: .* 2026\.8\.31\) is not pinned in the lock/.test(
      plan.stdout,
    ),
    plan.stdout,
  );
  // pin: false keeps a source's entries out of the lock (it has none here, by its filter).
  assert.ok(Object.values(lockDoc().catalog ?? {}).every((p) => p.source === 'official'));
});

test.run();
