// The build's one-file bundles (scripts/build.mjs: dist/vendor/validators-bundle.cjs, the
// precompiled validators with ajv's runtime helpers; dist/vendor/yaml-bundle.cjs) and their
// recorded V8 code caches (src/vendor/code-cache.ts) must change what a start-up costs, never
// what it finds: the bundled validators report exactly what a fresh ajv compile of the schemas
// reports, on every example config, every shipped catalog and profile file and the hostile
// corpus; a fresh `node` uses the recorded caches; a cache of other text is not used.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { buildAjv, rawSchema, schemaHash, type SchemaKind } from '../../src/config/schemas.js';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';

type CodeCacheModule = typeof import('../../src/vendor/code-cache.js');
const vendor = join(PACKAGE_ROOT, 'dist', 'vendor');
const codeCache = (await import(pathToFileURL(join(vendor, 'code-cache.js')).href)) as CodeCacheModule;
const bundled = codeCache.loadBundle(join(vendor, 'validators-bundle.cjs')).exports as Record<string, ValidateFunction>;
const fresh = buildAjv();

/** Every YAML file below a directory (of the repository), parsed; files that do not parse are left out. */
function documents(dir: string): Array<{ name: string; value: unknown }> {
  const out: Array<{ name: string; value: unknown }> = [];
  for (const name of readdirSync(join(PACKAGE_ROOT, dir))
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    try {
      out.push({ name: `${dir}/${name}`, value: parse(readFileSync(join(PACKAGE_ROOT, dir, name), 'utf8')) });
    } catch {
      // A syntax error never reaches a validator.
    }
  }
  return out;
}

const summary = (errs: ErrorObject[] | null | undefined): string[] =>
  (errs ?? []).map((e) => `${e.instancePath} ${e.keyword} ${e.schemaPath} ${JSON.stringify(e.params)} ${e.message}`);

function agree(kind: Exclude<SchemaKind, 'plan'>, docs: Array<{ name: string; value: unknown }>): number {
  const pre = bundled[kind];
  const compiled = fresh.getSchema(rawSchema(kind).$id as string)!;
  assert.type(pre, 'function', `the bundle exports the ${kind} validator`);
  let failing = 0;
  for (const { name, value } of docs) {
    const ok = pre(value);
    assert.is(ok, compiled(value), `${name}: same verdict`);
    assert.equal(summary(pre.errors), summary(compiled.errors), `${name}: same errors`);
    if (!ok) failing++;
  }
  return failing;
}

test('the bundle was made from the current schemas', () => {
  assert.is((bundled as unknown as { schemaHash: string }).schemaHash, schemaHash());
});

test('bundled and freshly compiled validators agree on the example configs and the hostile corpus', () => {
  const examples = [
    { name: 'contextforge.yaml', value: parse(readFileSync(join(PACKAGE_ROOT, 'contextforge.yaml'), 'utf8')) },
    ...documents('examples'),
  ];
  const hostile = documents('test/fixtures/config/hostile');
  const invalid = documents('test/fixtures/config/invalid');
  assert.ok(examples.length >= 7 && hostile.length >= 200, `${examples.length} examples, ${hostile.length} hostile`);
  // (Before interpolation: a `${VAR}` in a numeric field is a schema error here, in both.)
  assert.ok(agree('config', examples) < examples.length / 2, 'the examples mostly pass');
  // The corpus must exercise the error paths, not only the happy one.
  assert.ok(agree('config', [...hostile, ...invalid]) >= 50, 'the corpus has schema errors');
});

test('bundled and freshly compiled validators agree on the shipped catalog and profiles', () => {
  assert.is(agree('catalog', documents('catalog')), 0);
  // The test catalog and the examples' entries (compose and github sources the shipped one lacks).
  assert.is(agree('catalog', [...documents('test/fixtures/catalog'), ...documents('examples/catalog')]), 0);
  assert.is(agree('profile', documents('profiles')), 0);
  // And on entries with mistakes.
  assert.ok(agree('catalog', [{ name: 'bad', value: { slug: 1, source: { type: 'nope' } } }]) === 1);
  assert.ok(agree('profile', [{ name: 'bad', value: { name: 'x', network: { egress: 3 } } }]) === 1);
});

/** Runs a fresh plain `node` (no flags, no NODE_OPTIONS) that loads a bundle and prints whether its cache was used. */
function cachedInFreshNode(bundle: string): string {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(pathToFileURL(join(vendor, 'code-cache.js')).href)});` +
        `console.log(m.loadBundle(${JSON.stringify(bundle)}).cached)`,
    ],
    { encoding: 'utf8', env },
  );
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('a fresh node uses the code caches the build recorded', () => {
  for (const b of ['yaml-bundle.cjs', 'validators-bundle.cjs'])
    assert.is(cachedInFreshNode(join(vendor, b)), 'true', b);
});

test('a cache recorded for other text is not used, and the bundle still runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-code-cache-'));
  try {
    // Same length, one character changed: V8 alone would accept the cache (it checks the length only).
    const text = readFileSync(join(vendor, 'yaml-bundle.cjs'), 'utf8');
    const at = text.indexOf('"use strict"');
    assert.ok(at >= 0);
    writeFileSync(join(dir, 'yaml-bundle.cjs'), `${text.slice(0, at)}'use strict'${text.slice(at + 12)}`);
    copyFileSync(join(vendor, 'yaml-bundle.v8cache'), join(dir, 'yaml-bundle.v8cache'));
    assert.is(cachedInFreshNode(join(dir, 'yaml-bundle.cjs')), 'false');
    const loaded = codeCache.loadBundle(join(dir, 'yaml-bundle.cjs'));
    assert.is(loaded.cached, false);
    assert.equal((loaded.exports as typeof import('yaml')).parse('a: [1, 2]'), { a: [1, 2] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
