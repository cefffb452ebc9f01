// ${VAR} interpolation and .env parsing: values, defaults, escapes, exact error spans, typed
// plain scalars, precedence of the environment over .env, and sensitivity of secret values.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpolate } from '../../src/config/interpolate.js';
import { parseYaml } from '../../src/config/yaml-source.js';
import { parseDotEnv } from '../../src/config/dotenv.js';
import { loadConfig } from '../../src/config/index.js';

const run = (text: string, env: Record<string, string | undefined>) => interpolate(parseYaml(text, 'x.yaml'), env);
// Parsed mappings have no prototype; compare their contents with plain literals.
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

test('substitutes set variables and defaults', () => {
  const r = run('a: ${A}\nb: "x-${B:-dflt}-y"\nc: ${C-only-unset}\nd: ${D:-empty-too}\n', { A: 'one', D: '' });
  assert.equal(r.diags, []);
  assert.equal(plain(r.value), { a: 'one', b: 'x-dflt-y', c: 'only-unset', d: 'empty-too' });
});

test('${VAR-default} keeps an empty value, ${VAR:-default} does not', () => {
  const r = run('a: "[${E-x}]"\nb: "[${E:-x}]"\n', { E: '' });
  assert.equal(plain(r.value), { a: '[]', b: '[x]' });
});

test('$${ escapes a literal ${', () => {
  const r = run('a: "cost $${PRICE} and ${P}"\n', { P: '5' });
  assert.equal(plain(r.value), { a: 'cost ${PRICE} and 5' });
  assert.equal(r.diags, []);
});

test('an unset variable is an error spanning exactly the expression', () => {
  const text = 'name: x\nkey: "pre ${OK} ${MISSING} post"\n';
  const r = run(text, { OK: 'fine' });
  assert.is(r.diags.length, 1);
  const d = r.diags[0];
  assert.is(d.code, 'interp.unset-variable');
  assert.is(d.summary, 'variable MISSING is not set');
  assert.is(d.range!.start.line, 2);
  assert.is(text.slice(d.range!.start.offset, d.range!.end.offset), '${MISSING}');
  assert.is(d.range!.start.col, text.split('\n')[1].indexOf('${MISSING}') + 1);
});

test('the second of two identical expressions is located at its own position', () => {
  const text = 'list:\n  - ${NOPE}\n  - ${NOPE}\n';
  const r = run(text, {});
  assert.is(r.diags.length, 2);
  assert.equal(
    r.diags.map((d) => d.range!.start.line),
    [2, 3],
  );
});

test('bad syntax is reported, not guessed', () => {
  const r = run('a: "${1BAD}"\nb: "${OPEN"\n', {});
  assert.equal(
    r.diags.map((d) => d.code),
    ['interp.bad-syntax', 'interp.bad-syntax'],
  );
});

test('a plain scalar that is one expression is typed like YAML; quoted ones stay strings', () => {
  const r = run('port: ${PORT}\nflag: ${FLAG}\nquoted: "${PORT}"\nmixed: p${PORT}\n', { PORT: '8080', FLAG: 'true' });
  assert.equal(plain(r.value), { port: 8080, flag: true, quoted: '8080', mixed: 'p8080' });
});

test('keys are never interpolated', () => {
  const r = run('"${K}": v\n', { K: 'x' });
  assert.equal(plain(r.value), { '${K}': 'v' });
});

test('.env: quotes, escapes, export, comments, bad lines', () => {
  const text = [
    '# comment',
    'export A=1',
    'B = two words # trailing comment',
    "C='single # kept'",
    'D="line\\nbreak \\"q\\""',
    'E=',
    'not a variable line',
    'F="unterminated',
    'G=url#not-a-comment',
  ].join('\n');
  const r = parseDotEnv(text, '.env');
  assert.equal(r.values, {
    A: '1',
    B: 'two words',
    C: 'single # kept',
    D: 'line\nbreak "q"',
    E: '',
    G: 'url#not-a-comment',
  });
  assert.equal(
    r.diags.map((d) => [d.code, d.range!.start.line]),
    [
      ['dotenv.syntax', 7],
      ['dotenv.unterminated-quote', 8],
    ],
  );
  assert.ok(r.diags.every((d) => d.severity === 'warning'));
});

test('loadConfig reads .env beside the config; the environment wins over it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-interp-'));
  try {
    writeFileSync(join(dir, '.env'), 'STACK_DESC=from-dotenv\nOVERRIDDEN=dotenv\nAPI_KEY=dotenv-api-key-123\n');
    writeFileSync(
      join(dir, 'contextforge.yaml'),
      [
        'name: envtest',
        'description: "${STACK_DESC} ${OVERRIDDEN}"',
        'backends:',
        '  ce: { type: ibm_code_engine, region: us-south, project_id: p, api_key: "${API_KEY}" }',
      ].join('\n'),
    );
    const r = await loadConfig(join(dir, 'contextforge.yaml'), { env: { OVERRIDDEN: 'env' } });
    assert.ok(r.value, JSON.stringify(r.diags));
    assert.is(r.value!.document.description, 'from-dotenv env');
    assert.ok(r.value!.files.includes(join(dir, '.env')));
    assert.ok(r.value!.sensitiveValues.has('dotenv-api-key-123'), 'api_key is sensitive');
    assert.not.ok(r.value!.sensitiveValues.has('from-dotenv'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('secrets, secret env (by catalog spec), tokens and substituted parts are sensitive', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-sens-'));
  try {
    writeFileSync(
      join(dir, 'contextforge.yaml'),
      [
        'name: sens',
        'github: { token: "${GH}" }',
        'backends: { local: { type: docker } }',
        'gateway:',
        '  auth: { tokens: ["Bearer-${TOK}-suffix"], jwt_secret: "jwt-secret-0123456789" }',
        'runtimes:',
        '  - name: analytics',
        '    catalog: custom-analytics',
        '    backend: local',
        '    env: { ANALYTICS_API_TOKEN: "${ANALYTICS}", PLAIN: "visible" }',
        '    secrets: { OTHER: literal-secret-value }',
      ].join('\n'),
    );
    const r = await loadConfig(join(dir, 'contextforge.yaml'), {
      env: { GH: 'ghp_token_value', TOK: 'tok-part-9876', ANALYTICS: 'analytics-secret' },
    });
    assert.ok(r.value, JSON.stringify(r.diags));
    const s = r.value!.sensitiveValues;
    for (const v of [
      'ghp_token_value',
      'Bearer-tok-part-9876-suffix',
      'tok-part-9876',
      'jwt-secret-0123456789',
      'analytics-secret',
      'literal-secret-value',
    ]) {
      assert.ok(s.has(v), `${v} should be sensitive`);
    }
    assert.not.ok(s.has('visible'));
    assert.not.match(r.value!.fingerprint, /analytics-secret/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
