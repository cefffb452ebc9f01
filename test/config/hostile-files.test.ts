// Hostile inputs that cannot live in the fixture tree (issue 12): FIFOs, devices, directories
// and symbolic links where files are expected, files past the size bound, the operator's
// allow-list, and generated documents that are huge or deep (a 15,000-long depends_on chain,
// 20,000 unknown keys, a megabyte-long name, an alias bomb). Each case states its outcome.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigSync, type LoadResult } from '../../src/config/index.js';
import { outputProblems, runCliInProcess } from './cli-in-process.js';

const root = mkdtempSync(join(tmpdir(), 'cf-hostile-files-'));
let n = 0;
/** A fresh directory with the given files ('fifo:' makes a FIFO, 'link:' a symbolic link). */
function tree(files: Record<string, string>): string {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir);
  for (const [p, body] of Object.entries(files)) {
    const path = join(dir, p);
    mkdirSync(join(path, '..'), { recursive: true });
    if (body === 'dir:') mkdirSync(path, { recursive: true });
    else if (body === 'fifo:') execFileSync('mkfifo', [path]);
    else if (body.startsWith('link:')) symlinkSync(body.slice(5), path);
    else writeFileSync(path, body);
  }
  return dir;
}

const MIN = 'name: hostile\n';
const load = (path: string, env: Record<string, string> = {}): LoadResult => loadConfigSync(path, { env });
const codes = (r: LoadResult): string[] => r.diags.filter((d) => d.severity === 'error').map((d) => d.code);

/** The result has an error of this code whose summary contains `text` (and line, if given). */
function expectError(r: LoadResult, code: string, text: string, line?: number): void {
  const hit = r.diags.find(
    (d) =>
      d.severity === 'error' &&
      d.code === code &&
      d.summary.includes(text) &&
      (line === undefined || d.range?.start.line === line),
  );
  assert.ok(
    hit,
    `expected ${code} "${text}"${line ? ` at line ${line}` : ''}; got ${JSON.stringify(r.diags.map((d) => [d.code, d.summary.slice(0, 120), d.range?.start.line]))}`,
  );
  assert.is(r.value, undefined);
}

/** The CLI (text and --json) on the same input: exit 1, JSON valid, bounded, no secrets. */
async function cliFails(path: string, env: Record<string, string> = {}, extra: string[] = []): Promise<void> {
  for (const json of [false, true]) {
    const run = await runCliInProcess(['validate', '-f', path, ...extra, ...(json ? ['--json'] : [])], env);
    const problems = outputProblems(run, { json, secrets: Object.values(env).filter((v) => v.length > 8) });
    if (run.code !== 1) problems.push(`exit ${run.code}`);
    assert.equal(problems, [], `${json ? '--json' : 'text'} ${path}:\n${(run.stdout + run.stderr).slice(0, 2000)}`);
  }
}

test('-f naming a FIFO, a device, a directory or /proc/self/mem is an error, and nothing blocks', async () => {
  const dir = tree({ 'fifo.yaml': 'fifo:', 'sub/x': 'x' });
  expectError(load(join(dir, 'fifo.yaml')), 'file.not-regular', 'is a FIFO');
  expectError(load('/dev/zero'), 'file.not-regular', 'is a character device');
  expectError(load(join(dir, 'sub')), 'file.not-regular', 'is a directory');
  assert.ok(codes(load('/proc/self/mem')).length > 0);
  await cliFails(join(dir, 'fifo.yaml'));
  await cliFails('/dev/zero');
});

test('-f through a symbolic link: inside the tree it loads, leaving the tree it is refused', async () => {
  const dir = tree({
    'real.yaml': MIN,
    'inside.yaml': 'link:real.yaml',
    'passwd.yaml': 'link:/etc/passwd',
    'zero.yaml': 'link:/dev/zero',
  });
  assert.ok(load(join(dir, 'inside.yaml')).value);
  expectError(load(join(dir, 'passwd.yaml')), 'file.outside', 'symbolic link that leaves');
  expectError(load(join(dir, 'zero.yaml')), 'file.outside', 'symbolic link that leaves');
  await cliFails(join(dir, 'passwd.yaml'));
});

test('reads are bounded: 5 MB by default, --max-file-size and CONTEXTFORGE_MAX_FILE_SIZE change it', async () => {
  const big = `${MIN}# ${'x'.repeat(6 * 1024 * 1024)}\n`;
  const dir = tree({ 'big.yaml': big, 'small.yaml': MIN });
  expectError(load(join(dir, 'big.yaml')), 'file.too-large', 'larger than 5242880 bytes');
  const saved = process.env.CONTEXTFORGE_MAX_FILE_SIZE;
  try {
    process.env.CONTEXTFORGE_MAX_FILE_SIZE = '10m';
    assert.ok(load(join(dir, 'big.yaml')).value, 'a 10 MiB bound admits the 6 MiB file');
    process.env.CONTEXTFORGE_MAX_FILE_SIZE = 'lots';
    expectError(load(join(dir, 'small.yaml')), 'config.max-file-size', 'invalid CONTEXTFORGE_MAX_FILE_SIZE');
  } finally {
    if (saved === undefined) delete process.env.CONTEXTFORGE_MAX_FILE_SIZE;
    else process.env.CONTEXTFORGE_MAX_FILE_SIZE = saved;
  }
  const run = await runCliInProcess(['validate', '-f', join(dir, 'small.yaml'), '--max-file-size', '5']);
  assert.is(run.code, 1);
  assert.match(run.stderr, /larger than 5 bytes/);
  delete process.env.CONTEXTFORGE_MAX_FILE_SIZE;
});

test('.env that is a directory, a FIFO or a link out of the tree is an error; a missing one is fine', async () => {
  expectError(
    load(join(tree({ 'c.yaml': MIN, '.env': 'dir:' }), 'c.yaml')),
    'file.not-regular',
    '.env file .env is a directory',
  );
  expectError(load(join(tree({ 'c.yaml': MIN, '.env': 'fifo:' }), 'c.yaml')), 'file.not-regular', 'is a FIFO');
  const environ = tree({ 'c.yaml': MIN, '.env': 'link:/proc/self/environ' });
  expectError(load(join(environ, 'c.yaml')), 'file.outside', 'symbolic link that leaves');
  await cliFails(join(environ, 'c.yaml'), { CF_PLANTED_ENV_SECRET: 'planted-env-secret-0a9b8c7d' });
  assert.ok(load(join(tree({ 'c.yaml': MIN }), 'c.yaml')).value);
});

test('included files: links out of the tree, FIFOs and devices are errors at the include pattern', async () => {
  const dir = tree({
    'c.yaml': `${MIN}include:\n  catalog: ["cat/*.yaml"]\n  profiles: ["prof/*.yaml"]\n`,
    'cat/ok.yaml': 'name: Ok\nslug: ok\nsource: { type: docker, image: ghcr.io/x/ok:1 }\n',
    'cat/passwd.yaml': 'link:/etc/passwd',
    'cat/pipe.yaml': 'fifo:',
    'prof/zero.yaml': 'link:/dev/zero',
  });
  const r = load(join(dir, 'c.yaml'));
  expectError(r, 'file.outside', 'cat/passwd.yaml is a symbolic link that leaves', 3);
  expectError(r, 'file.not-regular', 'cat/pipe.yaml is a FIFO', 3);
  expectError(r, 'file.outside', 'prof/zero.yaml is a symbolic link that leaves', 4);
  await cliFails(join(dir, 'c.yaml'));
});

test('a ** glob never follows a directory link (a link to "." cannot loop, a link to / cannot escape)', () => {
  const dir = tree({
    'c.yaml': `${MIN}include:\n  catalog: ["cat/**/*.yaml"]\n`,
    'cat/a/e.yaml': 'name: E\nslug: e\nsource: { type: docker, image: ghcr.io/x/e:1 }\n',
    'cat/loop': 'link:.',
    'cat/root': 'link:/',
  });
  const r = load(join(dir, 'c.yaml'));
  assert.equal(codes(r), []);
  assert.ok(r.value?.catalog.e);
});

test('compose files and seccomp profiles named through links out of the tree, or FIFOs, are errors', async () => {
  const dir = tree({
    'c.yaml': `${MIN}backends:\n  local: {type: docker, allow_local_images: true}\ncatalog:\n  - name: C\n    slug: c\n    source: {type: compose, compose_file: stack.yaml, main_service: web}\n  - name: D\n    slug: d\n    source: {type: compose, compose_file: pipe.yaml, main_service: web}\nprofiles:\n  p:\n    seccomp: seccomp.json\n`,
    'stack.yaml': 'link:/etc/passwd',
    'pipe.yaml': 'fifo:',
    'seccomp.json': 'link:/proc/self/environ',
  });
  const r = load(join(dir, 'c.yaml'));
  expectError(r, 'file.outside', 'compose file stack.yaml is a symbolic link that leaves', 7);
  expectError(r, 'file.not-regular', 'compose file pipe.yaml is a FIFO', 10);
  expectError(r, 'file.outside', 'seccomp profile seccomp.json is a symbolic link that leaves', 13);
  await cliFails(join(dir, 'c.yaml'));
});

test('the operator allow-list (--allow-path, CONTEXTFORGE_ALLOW_PATHS) admits a directory; .env cannot set it', async () => {
  const shared = tree({ 'e.yaml': 'name: Shared\nslug: shared\nsource: { type: docker, image: ghcr.io/x/s:1 }\n' });
  const dir = tree({
    'c.yaml': `${MIN}include:\n  catalog: ["${shared}/*.yaml"]\n`,
    '.env': `CONTEXTFORGE_ALLOW_PATHS=${shared}\n`,
  });
  expectError(load(join(dir, 'c.yaml')), 'include.outside', "leaves the config's directory", 3);
  const saved = process.env.CONTEXTFORGE_ALLOW_PATHS;
  try {
    process.env.CONTEXTFORGE_ALLOW_PATHS = shared;
    assert.ok(load(join(dir, 'c.yaml')).value?.catalog.shared);
  } finally {
    if (saved === undefined) delete process.env.CONTEXTFORGE_ALLOW_PATHS;
    else process.env.CONTEXTFORGE_ALLOW_PATHS = saved;
  }
  const run = await runCliInProcess(['validate', '-f', join(dir, 'c.yaml'), '--allow-path', shared]);
  assert.is(run.code, 0, run.stderr);
  delete process.env.CONTEXTFORGE_ALLOW_PATHS;
});

test('nesting 20,000 levels deep is a diagnostic, not a stack overflow', async () => {
  const dir = tree({
    'deep.yaml': `${MIN}x-d: ${'['.repeat(20000)}${']'.repeat(20000)}\n`,
    'deepmap.yaml': `${MIN}x-d: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`,
  });
  for (const f of ['deep.yaml', 'deepmap.yaml']) {
    const r = load(join(dir, f));
    assert.ok(codes(r).length > 0, f);
    assert.is(r.value, undefined);
    await cliFails(join(dir, f));
  }
});

const runtimes = (count: number, line: (i: number) => string): string =>
  `${MIN}backends:\n  l: {type: docker, allow_local_images: true}\nruntimes:\n${Array.from({ length: count }, (_, i) => line(i)).join('\n')}\n`;

/** CPU time of one load, with the load's result. */
function timed(path: string): { r: LoadResult; cpuMs: number } {
  const c = process.cpuUsage();
  const r = load(path);
  const u = process.cpuUsage(c);
  return { r, cpuMs: (u.user + u.system) / 1000 };
}

test('a 15,000-long depends_on chain validates (iterative cycle check); closing it is one cycle error', () => {
  const chain = (i: number): string =>
    `  - {name: r${i}, catalog: everything, backend: l${i ? `, depends_on: [r${i - 1}]` : ''}}`;
  const dir = tree({
    'chain.yaml': runtimes(15000, chain),
    'cycle.yaml': runtimes(15000, (i) =>
      i === 0 ? '  - {name: r0, catalog: everything, backend: l, depends_on: [r14999]}' : chain(i),
    ),
  });
  const ok = load(join(dir, 'chain.yaml'));
  assert.equal(codes(ok), []);
  assert.is(ok.value?.runtimes.length, 15000);
  const cyc = load(join(dir, 'cycle.yaml'));
  assert.equal(codes(cyc), ['ref.dependency-cycle']);
});

test('20,000 unknown keys and 20,000 invalid names: one diagnostic each, within the per-run CPU bound', () => {
  const dir = tree({
    'keys.yaml': `${MIN}${Array.from({ length: 20000 }, (_, i) => `k${i}: ${i}`).join('\n')}\n`,
    'names.yaml': `${MIN}backends:\n${Array.from({ length: 20000 }, (_, i) => `  B${i}: {type: docker}`).join('\n')}\n`,
  });
  const keys = timed(join(dir, 'keys.yaml'));
  assert.is(keys.r.diags.filter((d) => d.code === 'schema.unknown-key').length, 20000);
  const names = timed(join(dir, 'names.yaml'));
  assert.is(names.r.diags.filter((d) => d.code === 'schema.invalid-name').length, 20000);
  // A bound, not a speed goal: the quadratic steps these inputs used to hit took minutes.
  assert.ok(
    keys.cpuMs < 10_000 && names.cpuMs < 10_000,
    `CPU ${keys.cpuMs.toFixed(0)} ms / ${names.cpuMs.toFixed(0)} ms`,
  );
});

test('a megabyte-long dangling reference and 10,000 dangling references get bounded did-you-mean work', () => {
  const dir = tree({
    'long.yaml': runtimes(1, () => `  - {name: a, catalog: ${'x'.repeat(1 << 20)}, backend: l}`),
    'many.yaml': runtimes(10000, (i) => `  - {name: r${i}, catalog: everything, backend: l, depends_on: [rr${i}]}`),
  });
  const long = timed(join(dir, 'long.yaml'));
  expectError(long.r, 'ref.unknown-catalog', 'unknown catalog entry');
  assert.is(long.r.diags[0].suggestion, undefined);
  const many = timed(join(dir, 'many.yaml'));
  assert.is(many.r.diags.filter((d) => d.code === 'ref.unknown-runtime').length, 10000);
  assert.ok(long.cpuMs < 2000 && many.cpuMs < 10_000, `CPU ${long.cpuMs.toFixed(0)} ms / ${many.cpuMs.toFixed(0)} ms`);
});

test('an alias bomb (a 50,000-item anchor used 1,000 times) stops at the expansion budget', () => {
  const dir = tree({
    'bomb.yaml': `${MIN}x-a: &a [${Array.from({ length: 50000 }, (_, i) => `v${i}`).join(',')}]\nx-b: [${Array(1000).fill('*a').join(',')}]\n`,
  });
  const { r, cpuMs } = timed(join(dir, 'bomb.yaml'));
  expectError(r, 'yaml.alias-expansion', 'aliases expand to more than 100000 values');
  assert.ok(cpuMs < 10_000, `CPU ${cpuMs.toFixed(0)} ms`);
});

test('a 10,000-runtime config validates', () => {
  const dir = tree({
    'big.yaml': runtimes(
      10000,
      (i) => `  - name: r${i}\n    catalog: everything\n    backend: l\n    env: {REPLICA: "${i}"}`,
    ),
  });
  const r = load(join(dir, 'big.yaml'));
  assert.equal(codes(r), []);
  assert.is(r.value?.runtimes.length, 10000);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
