// Staleness: the generated TypeScript types, the precompiled validators and README's
// configuration reference match the schema (all regenerate with `npm run gen`), and README's
// CLI reference names every option the config verbs accept.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { buildAjv, precompiled, rawSchema, validator } from '../../src/config/schemas.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const node = (args: string[]) =>
  spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

test('src/generated/ is up to date with schema/ (gen-types --check)', () => {
  const r = node(['scripts/gen-types.mjs', '--check']);
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('src/generated/validators.ts is up to date with schema/ (gen-validators --check)', () => {
  const r = node(['scripts/gen-validators.mjs', '--check']);
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('the precompiled validators report exactly what a fresh ajv compile reports', () => {
  const bad = {
    name: 'Bad_Name',
    backends: { a: { type: 'docker', region: 'x' }, b: { type: 'ibm_code_engine' }, c: { type: 'nope' } },
    gateway: { auth: 'nonee', port: 'x', call_timeout: '5 minutes' },
    runtimes: [{ name: 'r', catalog: 1 }],
    extra: true,
  };
  const pre = validator('config');
  assert.is(pre, precompiled().config, 'the precompiled function is in use');
  assert.not.ok('schemaEnv' in pre, 'not a function ajv compiled at run time');
  const fresh = buildAjv().getSchema(rawSchema('config').$id as string)!;
  const summary = (errs: ErrorObject[] | null | undefined): string[] =>
    (errs ?? []).map((e) => `${e.instancePath} ${e.keyword} ${e.schemaPath}`);
  pre(bad);
  fresh(bad);
  assert.ok((pre.errors ?? []).length > 5);
  assert.equal(summary(pre.errors), summary(fresh.errors));
});

test("README's configuration reference is up to date with the schema (gen-readme --check)", () => {
  const r = node(['scripts/gen-readme.mjs', '--check']);
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('the configuration reference documents every definition of the schema', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const schema = JSON.parse(readFileSync(join(root, 'schema/contextforge.schema.json'), 'utf8')) as {
    definitions: Record<string, { title?: string; properties?: object }>;
  };
  for (const d of Object.values(schema.definitions)) {
    if (d.properties && Object.keys(d.properties).length > 1 && d.title)
      assert.ok(readme.includes(`### ${d.title}`), d.title);
  }
});

test("README's CLI reference names every option of validate, schema, catalog and profiles", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const a = readme.indexOf('<!-- BEGIN cli-reference:config -->');
  const b = readme.indexOf('<!-- END cli-reference:config -->');
  assert.ok(a >= 0 && b > a, 'cli-reference:config markers');
  const section = readme.slice(a, b);
  for (const verb of ['validate', 'schema', 'catalog', 'profiles']) {
    assert.ok(section.includes(`contextforge ${verb}`), verb);
    const help = node(['bin/contextforge.js', verb, '--help']).stdout;
    const flags = [...help.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]).filter((f) => f !== '--help');
    assert.ok(flags.length > 0, `${verb} --help lists options`);
    for (const f of flags) assert.ok(section.includes(f), `README does not document ${verb} ${f}`);
  }
});

test.run();
