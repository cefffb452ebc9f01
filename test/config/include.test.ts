// Includes: the tiny glob, default and explicit include globs, shipped presets and catalog,
// user files overriding shipped ones, and inline definitions beside included ones.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { glob } from '../../src/config/glob.js';
import { loadConfig } from '../../src/config/index.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-inc-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

const entry = (slug: string, image = 'ghcr.io/x/y:1'): string =>
  `name: ${slug}\nslug: ${slug}\nsource: { type: docker, image: "${image}" }\n`;

test('glob: *, ?, ** and literal paths; sorted, files only, dot-files skipped', () => {
  const dir = tree({
    'a/x.yaml': '',
    'a/y.yaml': '',
    'a/z.yml': '',
    'a/.hidden.yaml': '',
    'a/b/c/d.yaml': '',
    'a/b/e.yaml': '',
    'a/q1.yaml': '',
  });
  try {
    const rel = (ps: string[]): string[] => ps.map((p) => p.slice(dir.length + 1));
    assert.equal(rel(glob('a/*.yaml', dir).files), ['a/q1.yaml', 'a/x.yaml', 'a/y.yaml']);
    assert.equal(rel(glob('a/?.yaml', dir).files), ['a/x.yaml', 'a/y.yaml']);
    assert.equal(rel(glob('a/**/*.yaml', dir).files), [
      'a/b/c/d.yaml',
      'a/b/e.yaml',
      'a/q1.yaml',
      'a/x.yaml',
      'a/y.yaml',
    ]);
    assert.equal(rel(glob('a/z.yml', dir).files), ['a/z.yml']);
    assert.equal(glob('missing/*.yaml', dir).files, []);
    assert.equal(rel(glob(join(dir, 'a/b/*.yaml'), '/elsewhere').files), ['a/b/e.yaml']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('default globs load catalog/ and profiles/ beside the config, plus shipped ones', async () => {
  const dir = tree({
    'contextforge.yaml':
      'name: inc\nbackends: { local: { type: docker } }\nruntimes: [{ name: a, catalog: mine, backend: local, guardrails_profile: team }]\n',
    'catalog/mine.yaml': entry('mine'),
    'profiles/team.yaml': 'name: team\nnetwork: { egress_allowed: false }\n',
  });
  try {
    const r = await loadConfig(join(dir, 'contextforge.yaml'), { env: {} });
    assert.ok(r.value, JSON.stringify(r.diags));
    const c = r.value!;
    assert.ok(c.catalog.mine && c.catalog.everything, 'own and shipped entries');
    assert.is(c.catalog.mine.baseDir, join(dir, 'catalog'));
    assert.ok(c.profiles.team && !c.profiles.team.builtin);
    for (const p of ['unrestricted', 'standard', 'restricted', 'airgapped'])
      assert.ok(c.profiles[p]?.builtin, `shipped ${p}`);
    assert.ok(c.files.includes(join(dir, 'catalog/mine.yaml')) && c.files.includes(join(dir, 'profiles/team.yaml')));
    assert.ok(c.sourceMap.has(`${join(dir, 'catalog/mine.yaml')}#/slug`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a user profile or entry replaces the shipped one of the same name', async () => {
  const dir = tree({
    'contextforge.yaml': 'name: inc\n',
    'profiles/standard.yaml': 'name: standard\ndescription: ours\n',
    'catalog/everything.yaml': entry('everything', 'ghcr.io/ours/everything:2'),
  });
  try {
    const r = await loadConfig(join(dir, 'contextforge.yaml'), { env: {} });
    assert.ok(r.value, JSON.stringify(r.diags));
    assert.is(r.value!.profiles.standard.description, 'ours');
    assert.is(r.value!.profiles.standard.builtin, false);
    assert.equal({ ...r.value!.catalog.everything.source }, { type: 'docker', image: 'ghcr.io/ours/everything:2' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('builtin_profiles / builtin_catalog false leave the shipped ones out', async () => {
  const dir = tree({
    'contextforge.yaml': 'name: inc\ninclude: { builtin_profiles: false, builtin_catalog: false }\n',
  });
  try {
    const r = await loadConfig(join(dir, 'contextforge.yaml'), { env: {} });
    assert.ok(r.value);
    assert.equal(Object.keys(r.value!.profiles), []);
    assert.equal(Object.keys(r.value!.catalog), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('explicit globs that match nothing warn at the pattern; included files are interpolated', async () => {
  const dir = tree({
    'contextforge.yaml': 'name: inc\ninclude:\n  catalog: [servers/*.yaml, nothing/*.yaml]\n',
    'servers/s.yaml': 'name: S\nslug: s\nsource: { type: docker, image: "${REG:-ghcr.io}/x/s:1" }\n',
  });
  try {
    const r = await loadConfig(join(dir, 'contextforge.yaml'), { env: {} });
    assert.ok(r.value, JSON.stringify(r.diags));
    const w = r.diags.find((d) => d.code === 'include.no-match');
    assert.ok(w && w.severity === 'warning' && w.range!.start.line === 3);
    assert.equal({ ...r.value!.catalog.s.source }, { type: 'docker', image: 'ghcr.io/x/s:1' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('catalog files hold one entry each, validated against the catalog-entry schema', async () => {
  const dir = tree({
    'contextforge.yaml': 'name: inc\n',
    'catalog/bad.yaml': 'name: Bad\nslug: bad\nsource: { type: docker }\nfeatured: maybe\n',
  });
  try {
    const r = await loadConfig(join(dir, 'contextforge.yaml'), { env: {} });
    assert.not.ok(r.value);
    const codes = r.diags.map((d) => `${d.code}@${d.range?.file.endsWith('bad.yaml')}:${d.range?.start.line}`);
    assert.ok(codes.includes('schema.missing-key@true:3'), codes.join());
    assert.ok(codes.includes('schema.type@true:4'), codes.join());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing config file is a diagnostic, not a throw', async () => {
  const r = await loadConfig('/nonexistent/contextforge.yaml', { env: {} });
  assert.not.ok(r.value);
  assert.is(r.diags[0].code, 'config.unreadable');
});

test.run();
