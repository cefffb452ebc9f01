// Seeded mutants of a config that holds four unique secrets (a Code Engine api_key, a runtime
// secret, a gateway token, a JWT secret from the environment), loaded and rendered in-process
// (text and JSON, without the CLI's output sink): no piece of 16 or more characters of any
// secret may appear, whatever the mutation broke. The CLI-level scan is hostile-output.test.ts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { FRAGMENT_LENGTH } from '../../src/diag/redact.js';
import { renderDiagnostics, renderJson } from '../../src/diag/render.js';

const MUTANTS = Number(process.env.CF_MUTANTS ?? 600);
const dir = mkdtempSync(join(tmpdir(), 'cf-secret-mutants-'));

/** A small linear congruential generator: the same seed gives the same mutants on every run. */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

const rnd = rng(12);
const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[rnd(16)]).join('');
const S = { apiKey: `cfA${hex(24)}`, runtime: `cfR${hex(24)}`, token: `cfT${hex(24)}`, jwt: `cfJ${hex(24)}` };

const BASE = `name: mutant
backends:
  ce:
    type: ibm_code_engine
    region: us-south
    project_id: p1
    api_key: ${S.apiKey}
  host: {type: process}
runtimes:
  - name: a
    catalog: everything-stdio
    backend: host
    secrets: {TOKEN: "${S.runtime}"}
gateway:
  auth:
    tokens: ["${S.token}"]
    jwt_secret: \${CF_MUTANT_JWT}
`;

/** What mutations insert: YAML syntax, escapes, control characters, interpolation, tags. */
const PIECES = [
  '"',
  "'",
  '[',
  '{',
  '}',
  ']',
  ':',
  '\t',
  '\n',
  ' ',
  '#',
  '-',
  '&a',
  '*a',
  '\\',
  '\x1b[2J',
  '${',
  '"\\x41',
  '\n    api_key: 1',
  ': !!binary',
  '|',
  '>',
  ',',
  '?',
  '\r',
];

function mutate(text: string, pick: (n: number) => number): string {
  let t = text;
  for (let j = 1 + pick(3); j > 0; j--) {
    const at = pick(t.length);
    const op = pick(3);
    if (op === 0) t = t.slice(0, at) + PIECES[pick(PIECES.length)] + t.slice(at);
    else if (op === 1) t = t.slice(0, at) + t.slice(at + 1 + pick(4));
    else {
      const from = pick(t.length);
      t = t.slice(0, at) + t.slice(from, from + 1 + pick(10)) + t.slice(at);
    }
  }
  return t;
}

/** Pieces of FRAGMENT_LENGTH characters of any secret found in the output. */
function pieces(output: string): string[] {
  const found: string[] = [];
  for (const s of Object.values(S)) {
    for (let i = 0; i + FRAGMENT_LENGTH <= s.length; i++)
      if (output.includes(s.slice(i, i + FRAGMENT_LENGTH))) found.push(s.slice(i, i + FRAGMENT_LENGTH));
  }
  return found;
}

test(`${MUTANTS} seeded mutants print no piece of a secret`, async () => {
  const pick = rng(2026);
  const failures: string[] = [];
  for (let i = 0; i < MUTANTS; i++) {
    const text = mutate(BASE, pick);
    const file = join(dir, `m${i}.yaml`);
    writeFileSync(file, text);
    const r = await loadConfig(file, { env: { CF_MUTANT_JWT: S.jwt } });
    const out =
      renderDiagnostics(r.diags, { color: false, sensitive: r.sensitiveValues }) +
      renderJson(r.diags, r.sensitiveValues);
    JSON.parse(renderJson(r.diags, r.sensitiveValues));
    const leaked = pieces(out);
    if (leaked.length) failures.push(`mutant ${i}: ${leaked[0]}\n--- config\n${text}\n--- output\n${out}`);
  }
  assert.is(failures.length, 0, failures.slice(0, 3).join('\n\n'));
});

test('the unmutated config is valid and renders none of its secrets', async () => {
  const file = join(dir, 'base.yaml');
  writeFileSync(file, BASE);
  const r = await loadConfig(file, { env: { CF_MUTANT_JWT: S.jwt } });
  assert.ok(r.value, renderDiagnostics(r.diags, { color: false }));
  for (const s of Object.values(S)) assert.ok(r.sensitiveValues.has(s), s);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
