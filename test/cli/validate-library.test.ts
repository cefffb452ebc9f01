// The catalog, profiles and schema verbs through bin/contextforge.js: with and without a
// config, filters, featured first, deprecated hidden, unknown names with suggestions, the
// per-backend guardrail check (acceptance: restricted on Code Engine), and --help.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/contextforge.js');
const empty = mkdtempSync(join(tmpdir(), 'cf-lib-'));

function cli(args: string[], cwd = empty): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test.after(() => rmSync(empty, { recursive: true, force: true }));

test('acceptance: profiles check restricted --backend ibm_code_engine lists what is not enforceable', () => {
  const r = cli(['profiles', 'check', 'restricted', '--backend', 'ibm_code_engine']);
  assert.is(r.code, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('Not enforceable on ibm_code_engine:'));
  assert.ok(line, r.stdout);
  for (const c of ['read_only_root', 'capability add', 'max_pids', 'apparmor']) assert.ok(line!.includes(c), c);
  const json = JSON.parse(
    cli(['profiles', 'check', 'restricted', '--backend', 'ibm_code_engine', '--json']).stdout,
  ) as { notEnforceable: string[] };
  for (const c of ['read_only_root', 'capability add', 'max_pids', 'apparmor'])
    assert.ok(json.notEnforceable.includes(c), c);
});

test('profiles check on docker enforces everything; --strict exits 1 on the process backend', () => {
  const d = cli(['profiles', 'check', 'restricted', '--backend', 'docker']);
  assert.is(d.code, 0);
  assert.match(d.stdout, /Every control of "restricted" is enforced on docker/);
  const p = cli(['profiles', 'check', 'restricted', '--backend', 'process', '--strict']);
  assert.is(p.code, 1);
  assert.match(p.stdout, /egress_allowed/);
});

test('profiles check: bad backend type and unknown profile are errors with suggestions', () => {
  const b = cli(['profiles', 'check', 'standard', '--backend', 'code_engine']);
  assert.is(b.code, 1);
  assert.match(b.stderr, /unknown backend type "code_engine"/);
  const n = cli(['profiles', 'show', 'standrd']);
  assert.is(n.code, 1);
  assert.match(n.stderr, /did you mean "standard"/);
  const missing = cli(['profiles', 'check', 'standard']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /missing --backend/);
});

test('profiles list and show work without a config (shipped presets)', () => {
  const l = cli(['profiles', 'list']);
  assert.is(l.code, 0);
  for (const p of ['airgapped', 'restricted', 'standard', 'unrestricted'])
    assert.match(l.stdout, new RegExp(`^${p}\\s+shipped`, 'm'));
  const s = cli(['profiles', 'show', 'standard']);
  assert.is(s.code, 0);
  assert.match(s.stdout, /max_pids: 100/);
  assert.match(s.stdout, /api\.anthropic\.com/);
});

test('catalog list: featured first, deprecated hidden unless --all, filters', () => {
  const l = cli(['catalog', 'list']);
  assert.is(l.code, 0, l.stderr);
  const rows = l.stdout
    .split('\n')
    .slice(1)
    .filter((x) => x && !x.startsWith('*'));
  assert.match(rows[0], /^everything\s/);
  assert.match(rows[1], /^everything-stdio\s/);
  assert.not.match(l.stdout, /everything-sse/);
  assert.match(cli(['catalog', 'list', '--all']).stdout, /everything-sse .*\(deprecated\)/);
  const proc = cli(['catalog', 'list', '--backend', 'process']).stdout;
  assert.match(proc, /everything-stdio/);
  assert.not.match(proc, /mcp-filesystem/);
  const cat = cli(['catalog', 'list', '--category', 'storage']).stdout;
  assert.match(cat, /mcp-filesystem/);
  assert.not.match(cat, /everything/);
  assert.match(cli(['catalog', 'list', '--tag', 'rag']).stdout, /rag-server/);
  const json = JSON.parse(cli(['catalog', 'list', '--json']).stdout) as { slug: string }[];
  assert.is(json[0].slug, 'everything');
  assert.ok(json.length >= 4);
});

test('catalog show: an entry as YAML; unknown slug is an error with a suggestion', () => {
  const s = cli(['catalog', 'show', 'everything']);
  assert.is(s.code, 0);
  assert.match(s.stdout, /image: contextforge-fixture\/everything:latest/);
  assert.match(s.stdout, /port: 3001/);
  const u = cli(['catalog', 'show', 'everythin']);
  assert.is(u.code, 1);
  assert.match(u.stderr, /did you mean "everything"/);
});

test('catalog and profiles read ./contextforge.yaml when present (or -f)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-libcfg-'));
  try {
    mkdirSync(join(dir, 'catalog'));
    writeFileSync(join(dir, 'contextforge.yaml'), 'name: lib\nprofiles:\n  team:\n    description: team profile\n');
    writeFileSync(
      join(dir, 'catalog/notes.yaml'),
      'name: Notes\nslug: notes\nfeatured: true\nsource: { type: docker, image: "ghcr.io/x/notes:1" }\n',
    );
    assert.match(cli(['catalog', 'list'], dir).stdout, /^notes\s/m);
    assert.match(cli(['profiles', 'list'], dir).stdout, /^team\s+contextforge\.yaml/m);
    assert.match(cli(['profiles', 'list', '-f', join(dir, 'contextforge.yaml')]).stdout, /^team\s/m);
    writeFileSync(join(dir, 'contextforge.yaml'), 'name: lib\nprofiles: [oops]\n');
    const bad = cli(['catalog', 'list'], dir);
    assert.is(bad.code, 1);
    assert.match(bad.stderr, /error\[schema\.type\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('catalog show never prints a secret default of a config entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-libsecret-'));
  try {
    writeFileSync(
      join(dir, 'contextforge.yaml'),
      [
        'name: lib',
        'catalog:',
        '  - name: S',
        '    slug: s',
        '    source: { type: docker, image: "ghcr.io/x/s:1" }',
        '    env: { TOKEN: { secret: true, default: "default-secret-token-123" } }',
      ].join('\n'),
    );
    const r = cli(['catalog', 'show', 's'], dir);
    assert.is(r.code, 0, r.stderr);
    assert.not.ok(r.stdout.includes('default-secret-token-123'));
    assert.match(r.stdout, /\(sensitive\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('schema prints each JSON Schema; unknown kinds are errors', () => {
  for (const [kind, title] of [
    ['config', 'ContextforgeConfig'],
    ['catalog', 'CatalogEntryFile'],
    ['profile', 'GuardrailProfileFile'],
  ]) {
    const r = cli(['schema', '--kind', kind]);
    assert.is(r.code, 0);
    assert.is((JSON.parse(r.stdout) as { title: string }).title, title);
  }
  assert.is((JSON.parse(cli(['schema']).stdout) as { title: string }).title, 'ContextforgeConfig');
  assert.is(cli(['schema', '--kind', 'plan']).code, 0);
  const bad = cli(['schema', '--kind', 'nope']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /unknown schema kind/);
});

test('--help on every verb of this module', () => {
  for (const verb of ['validate', 'schema', 'catalog', 'profiles']) {
    const r = cli([verb, '--help']);
    assert.is(r.code, 0, verb);
    assert.match(r.stdout, new RegExp(`\\$ contextforge ${verb}`));
  }
  assert.match(cli(['--version']).stdout, /\d+\.\d+\.\d+/);
});

test.run();
