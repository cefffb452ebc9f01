// Rendered diagnostics: golden files for a selection of the invalid corpus (text and JSON,
// regenerate with UPDATE=1), carets under exact spans, colour only on request, the stable JSON
// shape, redaction of sensitive values, and "did you mean".

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/index.js';
import { validateConfig } from '../../src/plan/validate-config.js';
import { diagnosticToJson, renderDiagnostic, renderDiagnostics, renderJson } from '../../src/diag/render.js';
import { redact, REDACTED } from '../../src/diag/redact.js';
import { didYouMean, editDistance } from '../../src/diag/suggest.js';
import { error } from '../../src/diag/diagnostic.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const invalid = join(root, 'test/fixtures/config/invalid');
const goldenDir = join(root, 'test/fixtures/config/golden');

function golden(name: string, actual: string): void {
  const p = join(goldenDir, name);
  if (process.env.UPDATE === '1' || !existsSync(p)) {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(p, actual);
    if (process.env.UPDATE !== '1') assert.unreachable(`golden file ${name} was missing; written, check it and rerun`);
    return;
  }
  assert.fixture(actual, readFileSync(p, 'utf8'));
}

const GOLDEN = [
  'unknown-key-egress',
  'ref-unknown-catalog',
  'ce-cpu-memory-backend',
  'interp-unset-in-string',
  'yaml-duplicate-key',
  'registry-localhost-port',
  'missing-ce-api-key',
  'strict-profile-unenforced',
  'include-invalid-profile',
  'gateway-deploy-unknown-backend',
  'gateway-deploy-docker-backend',
];

for (const name of GOLDEN) {
  test(`golden text: ${name}`, async () => {
    const r = await validateConfig(join(invalid, `${name}.yaml`), { env: {} });
    golden(`${name}.txt`, renderDiagnostics(r.diags, { color: false, cwd: root, sensitive: r.sensitiveValues }));
  });
}

test('golden JSON: unknown-key-egress', async () => {
  const r = await loadConfig(join(invalid, 'unknown-key-egress.yaml'), { env: {} });
  const json = renderJson(r.diags).replaceAll(root, '<root>/');
  golden('unknown-key-egress.json', json);
});

test('the acceptance case: misspelt key with file:line:col, caret under the key, suggestion', async () => {
  const r = await loadConfig(join(invalid, 'unknown-key-egress.yaml'), { env: {} });
  const d = r.diags.find((x) => x.code === 'schema.unknown-key')!;
  assert.is(d.suggestion, 'egress_allowed');
  assert.equal([d.range!.start.line, d.range!.start.col, d.range!.end.col], [5, 7, 20]);
  const text = renderDiagnostic(d, { color: false, cwd: root });
  const lines = text.split('\n');
  assert.match(lines[0], /^error\[schema\.unknown-key\]: unknown key "egress_alowed"$/);
  assert.match(lines[1], /--> test\/fixtures\/config\/invalid\/unknown-key-egress\.yaml:5:7$/);
  const src = lines.findIndex((l) => l.includes('egress_alowed: false'));
  const caret = lines[src + 1];
  assert.is(caret.indexOf('^') - caret.indexOf('|'), lines[src].indexOf('egress_alowed') - lines[src].indexOf('|'));
  assert.is((caret.match(/\^/g) ?? []).length, 'egress_alowed'.length);
  assert.ok(text.includes('did you mean "egress_allowed"'));
});

test('JSON objects have the stable shape', () => {
  const d = error('x.y', 'summary', {
    detail: 'fix it',
    range: { file: 'f.yaml', start: { line: 2, col: 3, offset: 9 }, end: { line: 2, col: 7, offset: 13 } },
  });
  assert.equal(diagnosticToJson(d), {
    severity: 'error',
    code: 'x.y',
    summary: 'summary',
    detail: 'fix it',
    suggestion: null,
    file: 'f.yaml',
    line: 2,
    col: 3,
    endLine: 2,
    endCol: 7,
    pointer: null,
  });
  const parsed = JSON.parse(renderJson([d])) as { ok: boolean; diagnostics: unknown[] };
  assert.is(parsed.ok, false);
  assert.is(parsed.diagnostics.length, 1);
});

test('colour only when asked', () => {
  const d = error('x.y', 'summary');
  assert.not.match(renderDiagnostic(d, { color: false }), /\x1b\[/);
  assert.match(renderDiagnostic(d, { color: true }), /\x1b\[31m/);
});

test('sensitive values are redacted from summaries, details and source lines', () => {
  const secret = 'hunter2-super-secret';
  const src = `api_key: ${secret}\n`;
  const d = error('x.y', `bad key ${secret}`, {
    detail: `value ${secret} rejected`,
    range: { file: 'mem.yaml', start: { line: 1, col: 10, offset: 9 }, end: { line: 1, col: 30, offset: 29 } },
  });
  const text = renderDiagnostic(d, { color: false, sensitive: [secret], readSource: () => src });
  assert.not.ok(text.includes(secret));
  assert.ok(text.includes(REDACTED));
  assert.not.ok(renderJson([d], [secret]).includes(secret));
  assert.is(redact('a-abc-b', ['abc']), 'a-abc-b', 'values under 4 characters are left alone');
  assert.is(redact('xx secret-long yy secret', ['secret', 'secret-long']), `xx ${REDACTED} yy ${REDACTED}`);
});

test('did you mean: Damerau distance with a length-relative cut-off', () => {
  assert.is(editDistance('egress_alowed', 'egress_allowed'), 1);
  assert.is(editDistance('ab', 'ba'), 1);
  assert.is(didYouMean('egress_alowed', ['egress_allowed', 'ingress_ports', 'allowed_hosts']), 'egress_allowed');
  assert.is(didYouMean('runtime', ['runtimes', 'name', 'backends']), 'runtimes');
  assert.is(didYouMean('READ_ONLY_ROOT', ['read_only_root']), 'read_only_root');
  assert.is(didYouMean('zzz', ['backends', 'runtimes']), undefined);
  assert.is(didYouMean('x', ['y']), 'y');
});

test.run();
