// Hostile input against the real CLI (issue 12, deliverables 1, 5-encoding, 6 and 7): every
// case plants a unique secret, runs `validate` (text and --json) or `plan`, and scans every byte
// of stdout and stderr for any spelling of it (raw, escaped, encoded, any 10-character piece).
// Also: control characters printed escaped, long lines elided, YAML and encoding messages.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/contextforge.js');
const dirs: string[] = [];

interface Run {
  code: number | null;
  out: string;
  err: string;
  all: string;
}

/** A fresh directory holding the given files (paths relative to it). */
function project(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-hostile-a-'));
  dirs.push(dir);
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

function cli(dir: string, args: string[], env: Record<string, string> = {}): Run {
  const base = { ...process.env };
  delete base.FORCE_COLOR;
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    env: { ...base, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr, all: `${r.stdout}\n${r.stderr}` };
}

/** A unique secret: a marker and 24 random hex digits. */
function secret(): string {
  return `cfS${randomBytes(12).toString('hex')}`;
}

/** Every spelling of the secret found in the output (none expected). */
function leaks(output: string, value: string, spellings: string[] = []): string[] {
  const forms = new Set<string>([
    value,
    JSON.stringify(value).slice(1, -1),
    Buffer.from(value).toString('base64').replace(/=+$/, ''),
    encodeURIComponent(value),
    ...spellings,
  ]);
  for (const s of [value, ...spellings]) for (let i = 0; i + 10 <= s.length; i++) forms.add(s.slice(i, i + 10));
  return [...forms].filter((f) => output.includes(f));
}

/** Runs validate (text and JSON) and asserts exit 1, valid JSON and no leak of the secret. */
function validateLeaksNothing(
  dir: string,
  value: string,
  opts: { env?: Record<string, string>; spellings?: string[]; code?: number } = {},
): Run[] {
  const text = cli(dir, ['validate', '-f', 'contextforge.yaml'], opts.env);
  const json = cli(dir, ['validate', '-f', 'contextforge.yaml', '--json'], opts.env);
  for (const r of [text, json]) {
    assert.is(r.code, opts.code ?? 1, r.all);
    assert.not.match(r.all, /unexpected failure|\n\s+at /);
    assert.equal(leaks(r.all, value, opts.spellings), [], `secret printed:\n${r.all}`);
  }
  const parsed = JSON.parse(json.out) as {
    ok: boolean;
    diagnostics: { code: string; summary: string; line: number | null; col: number | null }[];
  };
  assert.is(parsed.ok, (opts.code ?? 1) === 0);
  return [text, json];
}

const CE = (apiKey: string, extra = ''): string =>
  `name: hostile\nbackends:\n  ce:\n    type: ibm_code_engine\n    region: us-south\n    project_id: p1\n    api_key: ${apiKey}\n${extra}`;

// --- deliverable 1: secrets -------------------------------------------------------------------

test('a YAML syntax error elsewhere in the file', () => {
  const s = secret();
  const dir = project({ 'contextforge.yaml': `${CE(s)}runtimes:\n  - name: a\n    catalog: [unclosed\n` });
  const [text] = validateLeaksNothing(dir, s);
  assert.match(text.err, /unclosed "\["/);
});

test('a YAML syntax error on the secret line itself (unclosed quote)', () => {
  const s = secret();
  const dir = project({ 'contextforge.yaml': `${CE(`"${s}`)}\nruntimes: []\n` });
  const [text] = validateLeaksNothing(dir, s);
  assert.match(text.err, /error\[yaml\.unclosed-quote\]: unclosed double quote/);
  assert.match(text.err, /api_key: \(sensitive\)/);
});

test('a duplicate api_key key', () => {
  const s = secret();
  const t = secret();
  const dir = project({ 'contextforge.yaml': `${CE(s)}    api_key: ${t}\n` });
  const [text] = validateLeaksNothing(dir, s);
  assert.equal(leaks(text.all, t), []);
  assert.match(text.err, /duplicate key "api_key"/);
});

test('an escaped spelling in a flow mapping, with an error on the same line', () => {
  const s = secret();
  const escaped = [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  const dir = project({
    'contextforge.yaml': `name: hostile\nbackends: {ce: {type: ibm_code_engine, region: us-south, project_id: p1, api_key: "${escaped}", regoin: x}}\n`,
  });
  const [text] = validateLeaksNothing(dir, s, { spellings: [escaped] });
  assert.match(text.err, /regoin/);
});

test('an escaped secret repeated in a non-secret field is masked on its line too', () => {
  const s = secret();
  const escaped = [...s].map((c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
  const dir = project({ 'contextforge.yaml': `${CE(s)}defaults: {backend: "${escaped}"}\n` });
  validateLeaksNothing(dir, s, { spellings: [escaped] });
});

test('a secret given as a number (type error)', () => {
  const digits = `9${randomBytes(8).readBigUInt64BE().toString().padStart(20, '7').slice(0, 17)}`;
  const dir = project({ 'contextforge.yaml': CE(digits) });
  const [text] = validateLeaksNothing(dir, digits, { spellings: [String(Number(digits))] });
  assert.match(text.err, /api_key/);
});

test('a runtime secret given as a long number and a gateway token given as a float', () => {
  const digits = `8${randomBytes(8).readBigUInt64BE().toString().padStart(20, '3').slice(0, 19)}`;
  const dir = project({
    'contextforge.yaml': `name: hostile\nbackends: {host: {type: process}}\nruntimes:\n  - name: a\n    catalog: everything-stdio\n    backend: host\n    secrets: {TOKEN: ${digits}}\ngateway:\n  auth:\n    tokens: [${digits}.5]\n`,
  });
  validateLeaksNothing(dir, digits, { spellings: [String(Number(digits))] });
});

test('an unterminated quote in .env (the warning would print the raw line)', () => {
  const s = secret();
  const dir = project({ '.env': `CF_HOSTILE_KEY="${s}\nOTHER=1\n`, 'contextforge.yaml': CE('${CF_HOSTILE_KEY}') });
  const [text] = validateLeaksNothing(dir, s);
  assert.match(text.err, /unterminated quote/);
  assert.match(text.err, /CF_HOSTILE_KEY=\(sensitive\)/);
});

test('a malformed .env line holding a secret', () => {
  const s = secret();
  const dir = project({ '.env': `export ${s}\n`, 'contextforge.yaml': CE('"x"', 'runtimes: 5\n') });
  validateLeaksNothing(dir, s);
});

test('a tab in the line (tab indentation) and a tab inside the secret', () => {
  const s = secret();
  const tabbed = `${s.slice(0, 12)}\t${s.slice(12)}`;
  const a = project({
    'contextforge.yaml': `name: hostile\nbackends:\n  ce:\n    type: ibm_code_engine\n\tapi_key: ${s}\n`,
  });
  const [text] = validateLeaksNothing(a, s);
  assert.match(text.err, /error\[yaml\.tab\]/);
  const b = project({
    'contextforge.yaml': `name: hostile\nbackends: {ce: {type: ibm_code_engine, api_key: "${tabbed}", regoin: 1}}\n`,
  });
  validateLeaksNothing(b, s, {
    spellings: [tabbed, tabbed.replace('\t', ' '), tabbed.replace('\t', '\\t'), s.slice(12)],
  });
});

test('an included file that is not a mapping (an environ-like file with the secret)', () => {
  const s = secret();
  const unrelated = secret();
  const dir = project({
    'contextforge.yaml': `${CE('${CF_HOSTILE_TOKEN}')}include:\n  catalog: [catalog/*.yaml]\n`,
    'catalog/environ.yaml': `CF_HOSTILE_TOKEN=${s} PATH=/bin UNRELATED=${unrelated}\n`,
  });
  const [text] = validateLeaksNothing(dir, s, { env: { CF_HOSTILE_TOKEN: s } });
  assert.equal(leaks(text.all, unrelated), []);
  assert.match(text.err, /not a mapping/);
});

test('a variable from the process environment in a secret position, echoed by a reference error', () => {
  const s = secret();
  const dir = project({
    'contextforge.yaml': `${CE('${CF_HOSTILE_TOKEN}')}defaults:\n  backend: \${CF_HOSTILE_TOKEN}\nruntimes: [{name: a, catalog: everything, backend: "\${CF_HOSTILE_TOKEN}x"}]\n`,
  });
  validateLeaksNothing(dir, s, { env: { CF_HOSTILE_TOKEN: s } });
});

test('a credential-named variable moved into a plain field (no secret position refers to it)', () => {
  const s = secret();
  const dir = project({
    'contextforge.yaml': `name: hostile\nbackends:\n  local: {type: process}\nruntimes:\n  - name: a\n    catalog: everything\n    backend: "\${IBM_CLOUD_API_KEY}"\n`,
  });
  const [text] = validateLeaksNothing(dir, s, { env: { IBM_CLOUD_API_KEY: s } });
  assert.match(text.err, /unknown backend "\(sensitive\)"/);
});

test('a long secret printed shortened by a message is still redacted', () => {
  const s = `${secret()}${secret()}${secret()}`;
  const dir = project({
    'contextforge.yaml': `${CE('${CF_HOSTILE_TOKEN}')}runtimes:\n  - name: "\${CF_HOSTILE_TOKEN}"\n    catalog: everything\n`,
  });
  validateLeaksNothing(dir, s, { env: { CF_HOSTILE_TOKEN: s } });
});

test('a secret-looking key in a file that does not parse, inside a block', () => {
  const s = secret();
  const t = secret();
  const dir = project({
    'contextforge.yaml': `name: hostile\ngateway:\n  auth:\n    tokens:\n      - ${s}\n      - "${t}\n    jwt_secret: |\n      ${t}x\nruntimes: [\n`,
  });
  const [text] = validateLeaksNothing(dir, s);
  assert.equal(leaks(text.all, t), []);
});

test('plan output (text and JSON) never carries a runtime secret', () => {
  const s = secret();
  const dir = project({
    'contextforge.yaml': `name: hostile-plan-${randomBytes(3).toString('hex')}\nbackends: {host: {type: process}}\nruntimes:\n  - name: a\n    catalog: everything-stdio\n    backend: host\n    secrets: {TOKEN: "${s}"}\n    env: {NOTE: "${s}"}\n`,
  });
  for (const args of [
    ['plan', '-f', 'contextforge.yaml'],
    ['plan', '-f', 'contextforge.yaml', '--json'],
    ['validate', '-f', 'contextforge.yaml'],
  ]) {
    const r = cli(dir, args);
    assert.ok(r.code === 0 || r.code === 2, r.all);
    assert.equal(leaks(r.all, s), [], r.all);
    if (args.includes('--json')) JSON.parse(r.out);
  }
});

// --- deliverable 6: output hygiene ------------------------------------------------------------

test('a key containing an ANSI escape prints escaped (no raw control characters at all)', () => {
  const dir = project({
    'contextforge.yaml':
      'name: hostile\n"\\e[2J\\e[Hvalid: 0 errors\\r": 1\nbackends: {"x\\u009b2J": {type: process}}\n',
  });
  for (const args of [
    ['validate', '-f', 'contextforge.yaml'],
    ['validate', '-f', 'contextforge.yaml', '--json'],
  ]) {
    const r = cli(dir, args);
    assert.is(r.code, 1, r.all);
    assert.not.match(r.all, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, 'raw control character in output');
    assert.ok(r.all.includes('\\u001b[2J'), r.all);
  }
});

test('a control character in a source line keeps the caret under the right text', () => {
  const dir = project({
    'contextforge.yaml':
      'name: hostile # \u0007\u001b[31m\nbackends: {x: {type: process, regoin: 1}}\nruntimes: []\nnote_\u001b: 1\n',
  });
  const r = cli(dir, ['validate', '-f', 'contextforge.yaml']);
  assert.is(r.code, 1);
  const lines = r.err.split('\n');
  const at = lines.findIndex((l) => /^\d+ \| note_/.test(l));
  assert.ok(at > 0, r.err);
  const caret = lines[at + 1];
  assert.is(caret.indexOf('^'), lines[at].indexOf('note_'), r.err);
  assert.is(caret.slice(caret.indexOf('^')).trimEnd(), '^'.repeat('note_\\u001b'.length), r.err);
});

test('a 1 MB source line is elided around the caret', () => {
  const dir = project({
    'contextforge.yaml': `name: hostile\nbackends: {x: {type: process}, ${'a'.repeat(1 << 20)}: 1, y: {type: bogus}}\n`,
  });
  const r = cli(dir, ['validate', '-f', 'contextforge.yaml']);
  assert.is(r.code, 1);
  assert.ok(r.all.length < 20_000, `output of ${r.all.length} characters`);
  for (const line of r.err.split('\n')) assert.ok(line.length < 600, line.slice(0, 200));
  assert.match(r.err, /…/);
});

test('the caret stays under a masked value', () => {
  const s = secret();
  const dir = project({
    'contextforge.yaml': `name: hostile\nbackends: {ce: {type: ibm_code_engine, region: us-south, project_id: p, api_key: ${s}}}\n`,
  });
  const r = cli(dir, ['validate', '-f', 'contextforge.yaml']);
  assert.equal(leaks(r.all, s), []);
  const lines = r.err.split('\n');
  const at = lines.findIndex((l) => l.includes('(sensitive)'));
  if (at >= 0) assert.ok(lines[at + 1].indexOf('^') <= lines[at].length, r.err);
});

// --- deliverable 7: YAML errors ----------------------------------------------------------------

function firstDiag(dir: string): { code: string; summary: string; line: number | null; col: number | null } {
  const r = cli(dir, ['validate', '-f', 'contextforge.yaml', '--json']);
  assert.is(r.code, 1, r.all);
  return (
    JSON.parse(r.out) as { diagnostics: { code: string; summary: string; line: number | null; col: number | null }[] }
  ).diagnostics[0];
}

test('an unclosed double quote points at the opening quote, not at the end of the file', () => {
  const d = firstDiag(project({ 'contextforge.yaml': 'name: hostile\nbackends:\n  x:\n    type: "process\n\n\n\n' }));
  assert.equal([d.code, d.line, d.col], ['yaml.unclosed-quote', 4, 11]);
});

test('an unclosed single quote and an unclosed flow mapping point at their opening character', () => {
  const q = firstDiag(project({ 'contextforge.yaml': "name: 'hostile\nbackends: {}\n" }));
  assert.equal([q.code, q.line, q.col], ['yaml.unclosed-quote', 1, 7]);
  const b = firstDiag(
    project({ 'contextforge.yaml': 'name: hostile\nbackends: {x: {type: process}\n\n\nruntimes: []\n' }),
  );
  assert.equal([b.code, b.summary, b.line, b.col], ['yaml.unclosed-bracket', 'unclosed "{"', 2, 11]);
});

test('a tab used for indentation has its own message', () => {
  const d = firstDiag(project({ 'contextforge.yaml': 'name: hostile\nbackends:\n\tx: {type: process}\n' }));
  assert.equal([d.code, d.line, d.col], ['yaml.tab', 3, 1]);
});

test('deep nesting has its own message and no stack trace', () => {
  const dir = project({ 'contextforge.yaml': `name: hostile\nx: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n` });
  const d = firstDiag(dir);
  assert.is(d.code, 'yaml.too-deep');
  const text = cli(dir, ['validate', '-f', 'contextforge.yaml']);
  assert.ok(text.err.length < 5_000);
});

test('a generic syntax error at the end of the file points at the last token, not a blank line', () => {
  const d = firstDiag(project({ 'contextforge.yaml': 'name: hostile\nbackends:\n  x: {type: process}\n  - y\n\n\n' }));
  assert.ok(d.line !== null && d.line <= 4, JSON.stringify(d));
});

// --- deliverable 5 (encoding) -------------------------------------------------------------------

test('UTF-16 with a byte order mark is an encoding error at byte 0', () => {
  const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name: hostile\n', 'utf16le')]);
  const d = firstDiag(project({ 'contextforge.yaml': body }));
  assert.equal([d.code, d.summary], ['encoding.utf16', 'the file is encoded as UTF-16LE, not UTF-8']);
});

test('UTF-16 without a byte order mark is recognised by its NUL pattern', () => {
  const d = firstDiag(
    project({ 'contextforge.yaml': Buffer.from('name: hostile\nbackends: {}\n', 'utf16le').swap16() }),
  );
  assert.equal([d.code, d.summary], ['encoding.utf16', 'the file is encoded as UTF-16BE, not UTF-8']);
});

test('invalid UTF-8 is reported with its byte offset (and in an included file)', () => {
  const bad = Buffer.concat([
    Buffer.from('name: hostile\n# caf\u00e9 \ufffd ok\nx: "'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('"\n'),
  ]);
  const offset = bad.indexOf(0xc3, 20);
  const d = firstDiag(project({ 'contextforge.yaml': bad }));
  assert.equal([d.code, d.summary, d.line], ['encoding.invalid-utf8', `invalid UTF-8 at byte ${offset}`, 3]);
  const inc = firstDiag(
    project({ 'contextforge.yaml': 'name: hostile\ninclude: {catalog: [catalog/*.yaml]}\n', 'catalog/bad.yaml': bad }),
  );
  assert.is(inc.code, 'encoding.invalid-utf8');
});

test('a NUL byte is an encoding error and the binary content is not shown', () => {
  const s = secret();
  const dir = project({ 'contextforge.yaml': Buffer.from(`name: hostile\nx: 1\0${s}\n`) });
  const [text] = validateLeaksNothing(dir, s);
  assert.ok(
    text.err.includes(`error[encoding.nul]: the file contains a NUL byte at byte ${'name: hostile\nx: 1'.length}`),
    text.err,
  );
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
