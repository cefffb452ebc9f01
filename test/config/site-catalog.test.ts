// The operator's site catalog (CONTEXTFORGE_CATALOG_PATH, src/config/include.ts) through
// bin/contextforge.js: without it `catalog list` shows only the shipped catalog/ (real servers,
// no test fixtures); its directories' entries join the built-in catalog (a site entry overrides a
// shipped one, a config's own entry overrides both), `include.builtin_catalog: false` hides them,
// a directory that does not exist or a broken file is a clear error, a file that leaves its
// directory is refused, and a config's `.env` cannot set the variable.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/contextforge.js');
const base = mkdtempSync(join(tmpdir(), 'cf-site-'));
const empty = join(base, 'empty');
const siteA = join(base, 'site-a');
const siteB = join(base, 'site-b');
const outside = join(base, 'outside');
for (const d of [empty, siteA, siteB, outside]) mkdirSync(d);

const entry = (slug: string, description: string): string =>
  `name: ${slug}\nslug: ${slug}\ndescription: ${description}\nsupported_backends: [process]\n` +
  `source: { type: command, command: node, args: [server.js] }\ntransport: { type: stdio }\n`;
writeFileSync(join(siteA, 'team-notes.yaml'), entry('team-notes', 'Notes of the site'));
writeFileSync(join(siteA, 'memory.yaml'), entry('memory', 'The site memory server'));
writeFileSync(join(siteB, 'team-search.yaml'), entry('team-search', 'Search of the site'));
writeFileSync(join(siteB, 'README.md'), 'not an entry\n');

test.after(() => rmSync(base, { recursive: true, force: true }));

/** Runs the CLI with the test runner's CONTEXTFORGE_CATALOG_PATH replaced by `catalogPath` (or removed). */
function cli(args: string[], opts: { cwd?: string; catalogPath?: string } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete env.CONTEXTFORGE_CATALOG_PATH;
  if (opts.catalogPath !== undefined) env.CONTEXTFORGE_CATALOG_PATH = opts.catalogPath;
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: opts.cwd ?? empty, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, out: r.stdout + r.stderr };
}

const slugs = (r: { stdout: string }): string[] =>
  (JSON.parse(r.stdout) as Array<{ slug: string }>).map((e) => e.slug).sort();

const shippedSlugs = readdirSync(join(root, 'catalog'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => (parse(readFileSync(join(root, 'catalog', f), 'utf8')) as { slug: string }).slug)
  .sort();

function config(name: string, text: string): string {
  const dir = join(base, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'contextforge.yaml'), text);
  return dir;
}

test('without the variable, catalog list shows the shipped entries only: no test fixtures', () => {
  const r = cli(['catalog', 'list', '--all', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(slugs(r), shippedSlugs);
  assert.ok(shippedSlugs.length >= 6, shippedSlugs.join(' '));
  for (const fixture of ['everything', 'everything-sse', 'everything-compose', 'custom-analytics', 'rag-server'])
    assert.not.ok(shippedSlugs.includes(fixture), `${fixture} is a test fixture, not shipped`);
});

test("the test runner's catalog path holds the fixtures the tests use", () => {
  const runners = process.env.CONTEXTFORGE_CATALOG_PATH;
  assert.ok(runners, 'run through scripts/test.mjs, which sets CONTEXTFORGE_CATALOG_PATH');
  const r = cli(['catalog', 'list', '--all', '--json'], { catalogPath: runners });
  assert.is(r.code, 0, r.stderr);
  for (const fixture of ['everything', 'everything-sse', 'everything-compose', 'custom-analytics', 'rag-server'])
    assert.ok(slugs(r).includes(fixture), fixture);
});

test('entries of every listed directory join the catalog; a site entry overrides a shipped one', () => {
  const r = cli(['catalog', 'list', '--all', '--json'], { catalogPath: [siteA, '', siteB].join(delimiter) });
  assert.is(r.code, 0, r.stderr);
  assert.equal(slugs(r), [...new Set([...shippedSlugs, 'team-notes', 'team-search'])].sort());
  const show = cli(['catalog', 'show', 'memory'], { catalogPath: siteA });
  assert.is(show.code, 0, show.stderr);
  assert.match(show.stdout, /description: The site memory server/);
});

test('a config uses site entries like shipped ones; its own entry of the slug wins; builtin_catalog: false hides them', () => {
  const uses = config(
    'uses',
    'name: uses\nbackends: { host: { type: process } }\nruntimes:\n  - { name: n, catalog: team-notes, backend: host }\n',
  );
  const ok = cli(['validate'], { cwd: uses, catalogPath: siteA });
  assert.is(ok.code, 0, ok.out);
  // Without the variable the same config names an unknown entry.
  const missing = cli(['validate'], { cwd: uses });
  assert.is(missing.code, 1, missing.out);
  assert.match(missing.out, /team-notes/);

  const own = config(
    'own',
    [
      'name: own',
      'backends: { host: { type: process } }',
      'catalog:',
      '  - name: mine',
      '    slug: team-notes',
      '    description: The config entry',
      '    source: { type: command, command: node, args: [mine.js] }',
      '    transport: { type: stdio }',
      'runtimes:',
      '  - { name: n, catalog: team-notes, backend: host }',
      '',
    ].join('\n'),
  );
  assert.is(cli(['validate'], { cwd: own, catalogPath: siteA }).code, 0);
  const show = cli(['catalog', 'show', 'team-notes'], { cwd: own, catalogPath: siteA });
  assert.is(show.code, 0, show.out);
  assert.match(show.stdout, /description: The config entry/);

  const off = config(
    'off',
    'name: off\ninclude: { builtin_catalog: false }\nbackends: { host: { type: process } }\nruntimes:\n  - { name: n, catalog: team-notes, backend: host }\n',
  );
  const hidden = cli(['validate'], { cwd: off, catalogPath: siteA });
  assert.is(hidden.code, 1, hidden.out);
  assert.match(hidden.out, /team-notes/);
});

test('a directory that does not exist is an error naming the variable and the directory', () => {
  const gone = join(base, 'no-such-dir');
  const r = cli(['catalog', 'list'], { catalogPath: [siteA, gone].join(delimiter) });
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /error\[catalog\.path-not-found\]/);
  assert.match(r.out, new RegExp(`CONTEXTFORGE_CATALOG_PATH names "${gone}", which is not a directory`));
  assert.not.match(r.out, /^\s+at /m);
  const file = join(siteB, 'README.md');
  assert.match(cli(['catalog', 'list'], { catalogPath: file }).out, /not a directory/);
});

test('a broken site file is reported at its file:line:col', () => {
  const bad = join(base, 'site-bad');
  mkdirSync(bad);
  writeFileSync(
    join(bad, 'broken.yaml'),
    'name: broken\nslug: broken\nsource: { type: docker, image: x:1 }\nbogus_key: 1\n',
  );
  const r = cli(['catalog', 'list'], { catalogPath: bad });
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /unknown key "bogus_key"/);
  assert.match(r.out, new RegExp(`${join(bad, 'broken.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:1`));
});

test('a site file that is a link out of its directory is refused', () => {
  const linked = join(base, 'site-link');
  mkdirSync(linked);
  writeFileSync(join(outside, 'secret.yaml'), entry('leaked', 'Read from outside'));
  symlinkSync(join(outside, 'secret.yaml'), join(linked, 'leaked.yaml'));
  const r = cli(['catalog', 'list', '--json'], { catalogPath: linked });
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /symbolic link that leaves/);
  assert.not.match(r.stdout, /leaked/);
});

test(".env beside a config cannot set the site catalog (the operator's environment only)", () => {
  const dir = config(
    'dotenv',
    'name: dotenv\nbackends: { host: { type: process } }\nruntimes:\n  - { name: n, catalog: team-notes, backend: host }\n',
  );
  writeFileSync(join(dir, '.env'), `CONTEXTFORGE_CATALOG_PATH=${siteA}\n`);
  const r = cli(['validate'], { cwd: dir });
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /team-notes/);
});

test.run();
