import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { renderText } from '../../src/plan/render-text.js';
import { renderJson } from '../../src/plan/render-json.js';
import { renderMarkdown } from '../../src/plan/render-markdown.js';
import { makeRedactor } from '../../src/plan/redact.js';
import { scenario, CREATED_AT } from './plan-scenario.js';
import { TEST_SECRET } from './config-builder.js';

const Ajv = AjvModule as unknown as typeof AjvModule.default;
const root = fileURLToPath(new URL('../..', import.meta.url));
const goldenDir = join(root, 'test/fixtures/plans');

/** Compares with the golden file; UPDATE=1 rewrites it instead. */
function golden(name: string, actual: string): void {
  const file = join(goldenDir, name);
  if (process.env.UPDATE === '1' || !existsSync(file)) {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(file, actual);
    if (process.env.UPDATE !== '1')
      throw new Error(`golden file ${name} was missing and has been written; re-run to compare`);
    return;
  }
  assert.fixture(actual, readFileSync(file, 'utf8'), `${name} differs from the golden file (UPDATE=1 regenerates)`);
}

const redact = makeRedactor([TEST_SECRET, `${TEST_SECRET}-new`]);

test('text rendering matches the golden file', () => {
  golden('scenario.txt', renderText(scenario().plan, { redact }));
});

test('text rendering uses colour only when asked', () => {
  const plain = renderText(scenario().plan);
  const coloured = renderText(scenario().plan, { color: true });
  assert.not.match(plain, /\x1b\[/);
  assert.match(coloured, /\x1b\[32m/);
  assert.is(coloured.replace(/\x1b\[[0-9;]*m/g, ''), plain);
});

test('json rendering matches the golden file and validates against schema/plan.schema.json', () => {
  const text = renderJson(scenario().plan, { redact, contextforgeVersion: '0.0.0-test' });
  golden('scenario.json', text);
  const schema = JSON.parse(readFileSync(join(root, 'schema/plan.schema.json'), 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addKeyword('tsType');
  const validate = ajv.compile(schema);
  const ok = validate(JSON.parse(text));
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  // And the schema is not vacuous: a wrong action fails it.
  const bad = JSON.parse(text);
  bad.changes[0].action = 'explode';
  assert.not.ok(validate(bad));
});

test('markdown rendering matches the golden file', () => {
  golden('scenario.md', renderMarkdown(scenario().plan, { redact }));
});

test('no renderer ever prints a secret value, even one a backend leaked into a field', () => {
  const { plan } = scenario();
  // A misbehaving backend put the secret into a diagnostic; the redactor catches it.
  plan.changes[1].diagnostics.push({ severity: 'warning', code: 'test.leak', summary: `token is ${TEST_SECRET}` });
  for (const out of [renderText(plan, { redact }), renderJson(plan, { redact }), renderMarkdown(plan, { redact })]) {
    assert.not.ok(out.includes(TEST_SECRET), 'secret leaked');
    assert.ok(out.includes('(sensitive)'));
  }
});

test('a plan without changes says so', () => {
  const { plan } = scenario();
  const none = {
    ...plan,
    changes: plan.changes.filter((c) => c.action === 'noop'),
    forget: undefined,
    summary: { create: 0, update: 0, replace: 0, delete: 0, noop: 2 },
  };
  assert.match(renderText(none), /^No changes\. The live state matches the configuration\./);
  assert.match(renderMarkdown(none), /\*\*No changes\.\*\*/);
  assert.ok(CREATED_AT);
});

test.run();
