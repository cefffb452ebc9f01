// The build-time parse snapshot of shipped YAML (src/config/parse-snapshot.ts) must change what
// `validate` costs, never what it finds: the built code (dist/, which has the snapshot) and the
// source (src/, which has none and parses every file) must give the same value, spans, ranges and
// load result. Also: every shipped file is in the snapshot (so a build that forgot it fails
// here), and a text that differs by one byte is parsed, not served from it.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseYaml as parseFromSource } from '../../src/config/yaml-source.js';
import { scanSecretLines } from '../../src/config/secret-scan.js';
import { loadConfigSync as loadFromSource } from '../../src/config/load.js';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';

type YamlSourceModule = typeof import('../../src/config/yaml-source.js');
type SnapshotModule = typeof import('../../src/config/parse-snapshot.js');
type LoadModule = typeof import('../../src/config/load.js');
const dist = (p: string): string => pathToFileURL(join(PACKAGE_ROOT, 'dist', p)).href;
const built = (await import(dist('config/yaml-source.js'))) as YamlSourceModule;
const snapshot = (await import(dist('config/parse-snapshot.js'))) as SnapshotModule;
const builtLoad = (await import(dist('config/load.js'))) as LoadModule;

/** Shipped texts: every profile and catalog file, and the compose YAML inlined in entries. */
function shippedTexts(): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [];
  for (const dir of ['profiles', 'catalog']) {
    for (const name of readdirSync(join(PACKAGE_ROOT, dir)).filter((n) => n.endsWith('.yaml'))) {
      const text = readFileSync(join(PACKAGE_ROOT, dir, name), 'utf8');
      out.push({ name: `${dir}/${name}`, text });
      const inline = (parseFromSource(text, name).value as { source?: { compose_file?: unknown } }).source
        ?.compose_file;
      if (dir === 'catalog' && typeof inline === 'string' && inline.includes('\n'))
        out.push({ name: `${dir}/${name}#compose`, text: inline });
    }
  }
  return out;
}

/** Deep equality that also requires the same prototype (null for mappings) at every level. */
function sameShape(a: unknown, b: unknown, at = ''): void {
  if (a === null || typeof a !== 'object') {
    assert.ok(Object.is(a, b), `${at}: ${String(a)} vs ${String(b)}`);
    return;
  }
  assert.is(Object.getPrototypeOf(a), Object.getPrototypeOf(b), `${at}: prototype`);
  const ka = Object.keys(a);
  assert.equal(ka, Object.keys(b as object), `${at}: keys`);
  for (const k of ka) sameShape((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`);
}

test('every shipped file is in the built snapshot', () => {
  const texts = shippedTexts();
  // 4 profiles and 7 catalog entries (the test fixtures, test/fixtures/catalog/, are not shipped).
  assert.ok(texts.length >= 11, `${texts.length} shipped texts`);
  for (const { name, text } of texts) assert.ok(snapshot.snapshotFor(text), `${name} is in dist/shipped-yaml.json`);
});

test('a snapshot hit gives the value, spans and ranges a parse gives', () => {
  for (const { name, text } of shippedTexts()) {
    const fromSnapshot = built.parseYaml(text, `/x/${name}`);
    const parsed = parseFromSource(text, `/x/${name}`);
    assert.equal(fromSnapshot.diags, [], name);
    sameShape(fromSnapshot.value, parsed.value, name);
    const pointers = [...parsed.spans.keys()].sort();
    assert.equal([...fromSnapshot.spans.keys()].sort(), pointers, `${name}: span pointers`);
    for (const p of pointers) assert.equal(fromSnapshot.spans.get(p), parsed.spans.get(p), `${name}: span of ${p}`);
    const last = text.length - 1;
    assert.equal(fromSnapshot.range(0, last), parsed.range(0, last), `${name}: whole-file range`);
  }
});

test('a hit carries the secret scan that scanning the text gives', () => {
  let found = 0;
  for (const { name, text } of shippedTexts()) {
    const hit = built.parseYaml(text, `/x/${name}`);
    assert.ok(hit.secretScan, `${name}: recorded scan`);
    const fresh = scanSecretLines(text);
    assert.equal(hit.secretScan, fresh, `${name}: same lines, values and variables`);
    found += fresh.lines.length;
  }
  // The shipped catalog has token and api-key fields: the comparison covers non-empty scans.
  assert.ok(found > 0, 'some shipped file has secret-looking lines');
  assert.is(parseFromSource('a: 1\n', 'a.yaml').secretScan, undefined, 'a parsed text carries none');
});

test('the value of a hit is the caller’s own: changing it does not change the next hit', () => {
  const { text } = shippedTexts()[0];
  const first = built.parseYaml(text, 'a.yaml').value as Record<string, unknown>;
  first.name = 'changed by a caller';
  assert.is.not((built.parseYaml(text, 'a.yaml').value as Record<string, unknown>).name, 'changed by a caller');
});

test('a text that differs by one byte is parsed, not served from the snapshot', () => {
  const { text } = shippedTexts().find((t) => t.name.startsWith('profiles/'))!;
  const edited = text.replace(/description: /, 'description:  ');
  assert.is.not(edited, text);
  assert.is(snapshot.snapshotFor(edited), undefined);
  const broken = `${text}\n  : [unclosed\n`;
  assert.is(snapshot.snapshotFor(broken), undefined);
  assert.ok(built.parseYaml(broken, 'p.yaml').diags.length > 0, 'the edit is parsed and reported');
});

test('loading a config gives the same result from the built code and from the source', () => {
  for (const file of ['contextforge.yaml', 'examples/docker-stack.yaml', 'examples/compose.yaml']) {
    const path = join(PACKAGE_ROOT, file);
    const env = { ...process.env, GITHUB_TOKEN: 'x', IBM_CLOUD_API_KEY: 'x', CE_PROJECT_ID: 'x' };
    const a = builtLoad.loadConfigSync(path, { env });
    const b = loadFromSource(path, { env });
    assert.equal(
      a.diags.map((d) => `${d.severity} ${d.code} ${d.range?.start.line}:${d.range?.start.col}`),
      b.diags.map((d) => `${d.severity} ${d.code} ${d.range?.start.line}:${d.range?.start.col}`),
      `${file}: diagnostics`,
    );
    assert.ok(a.value?.fingerprint, `${file} loads: ${a.diags.map((d) => d.summary).join('; ')}`);
    assert.is(a.value?.fingerprint, b.value?.fingerprint, `${file}: fingerprint`);
  }
});

test.run();
