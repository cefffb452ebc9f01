// The shipped catalog (catalog/*.yaml) is data users copy, so it must be true: every entry
// validates when a runtime uses it on each backend type it claims, package sources name one
// exact release (the same the entry's version states), credentials are declared secret, and
// documentation points at the server's real repository, never a placeholder host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CatalogEntry } from '../../src/generated/config.js';
import { validateConfig } from '../../src/plan/validate-config.js';

// The shipped entries alone: the test runner's site catalog (CONTEXTFORGE_CATALOG_PATH, the test
// fixtures) could otherwise stand in for a shipped entry of the same slug.
delete process.env.CONTEXTFORGE_CATALOG_PATH;

const files = readdirSync('catalog').filter((f) => f.endsWith('.yaml'));
const entries = files.map((f) => ({ file: f, entry: parse(readFileSync(join('catalog', f), 'utf8')) as CatalogEntry }));
const dir = mkdtempSync(join(tmpdir(), 'cf-shipped-'));

test.after(() => rmSync(dir, { recursive: true, force: true }));

const BACKENDS: Record<string, string[]> = {
  docker: ['    type: docker', '    allow_local_images: true'],
  process: ['    type: process'],
  ibm_code_engine: [
    '    type: ibm_code_engine',
    '    region: us-south',
    '    project_id: demo',
    '    api_key: test-api-key-0000',
    '    per_deployment_limits: { cpu: "0.5", memory: 1G }',
  ],
};

for (const { file, entry } of entries) {
  for (const kind of entry.supported_backends ?? ['docker', 'ibm_code_engine']) {
    test(`${file} validates on a ${kind} backend`, async () => {
      const lines = ['name: shipped', 'backends:', '  b:', ...BACKENDS[kind], 'runtimes:'];
      lines.push('  - name: r', `    catalog: ${entry.slug}`, '    backend: b');
      const required = Object.entries(entry.env ?? {}).filter(([, v]) => v.required);
      if (required.length)
        lines.push(
          `    ${required.every(([, v]) => v.secret) ? 'secrets' : 'env'}:`,
          ...required.map(([k]) => `      ${k}: x-value-1`),
        );
      const configFile = join(dir, `${entry.slug}-${kind}.yaml`);
      writeFileSync(configFile, `${lines.join('\n')}\n`);
      const r = await validateConfig(configFile, { env: {} });
      const errors = r.diags.filter((d) => d.severity === 'error');
      assert.equal(
        errors.map((d) => `${d.code}: ${d.summary}`),
        [],
      );
    });
  }
}

test('package entries pin one exact release, the one their version states', () => {
  const packages = entries.filter((e) => e.entry.source.type === 'package');
  assert.ok(packages.length >= 4, `only ${packages.length} package entries`);
  for (const { file, entry } of packages) {
    const s = entry.source as { registry: string; name: string; version: string };
    assert.match(s.version, /^\d+\.\d+\.\d+$/, file);
    assert.is(entry.version, s.version, `${file}: version and source.version differ`);
  }
  const names = packages.map((e) => (e.entry.source as { name: string }).name);
  for (const n of ['memory', 'filesystem', 'everything', 'sequential-thinking'])
    assert.ok(names.includes(`@modelcontextprotocol/server-${n}`), `${n} is shipped`);
});

test('credentials are secret, and documentation is the real repository', () => {
  for (const { file, entry } of entries) {
    for (const [name, spec] of Object.entries(entry.env ?? {}))
      if (/TOKEN|KEY|SECRET|PASSWORD/.test(name)) assert.ok(spec.secret, `${file}: ${name} must be secret: true`);
    const text = readFileSync(join('catalog', file), 'utf8');
    assert.not.match(text, /example\.(com|org)/, `${file} names a placeholder host`);
    if (entry.source.type === 'package')
      assert.match(
        entry.documentation_url ?? '',
        /^https:\/\/github\.com\/modelcontextprotocol\/servers(-archived)?\/tree\/main\/src\/[a-z-]+$/,
        file,
      );
  }
});

test.run();
