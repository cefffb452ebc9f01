// The validate verb end to end through bin/contextforge.js (dist/): the acceptance case (a
// misspelt key: error[...], file:line:col, caret, did you mean, --json the same, exit 1),
// warnings with exit 0, --strict, the default ./contextforge.yaml, redaction, --help.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/contextforge.js');

function cli(
  args: string[],
  cwd = root,
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const egress = 'test/fixtures/config/invalid/unknown-key-egress.yaml';

test('acceptance: misspelt key gives error[...] at file:line:col with a caret and a suggestion; exit 1', () => {
  const r = cli(['validate', '-f', egress]);
  assert.is(r.code, 1);
  const lines = r.stderr.split('\n');
  assert.is(lines[0], 'error[schema.unknown-key]: unknown key "egress_alowed"');
  assert.match(lines[1], new RegExp(`--> ${egress.replace(/\./g, '\\.')}:5:7$`));
  const src = lines.findIndex((l) => l.endsWith('egress_alowed: false  # ERROR: unknown key "egress_alowed"'));
  assert.ok(src > 0, r.stderr);
  assert.is(lines[src + 1].indexOf('^'), lines[src].indexOf('egress_alowed'));
  assert.is(lines[src + 1].trim().replace('|', '').trim(), '^'.repeat('egress_alowed'.length));
  assert.ok(r.stderr.includes('= help: did you mean "egress_allowed"?'));
  assert.not.match(r.stderr, /^\s+at /m);
});

test('acceptance: --json gives the same diagnostic as JSON; exit 1', () => {
  const r = cli(['validate', '-f', egress, '--json']);
  assert.is(r.code, 1);
  const out = JSON.parse(r.stdout) as { ok: boolean; diagnostics: Record<string, unknown>[] };
  assert.is(out.ok, false);
  assert.is(out.diagnostics.length, 1);
  const d = out.diagnostics[0];
  assert.equal(
    {
      severity: d.severity,
      code: d.code,
      summary: d.summary,
      suggestion: d.suggestion,
      line: d.line,
      col: d.col,
      endLine: d.endLine,
      endCol: d.endCol,
    },
    {
      severity: 'error',
      code: 'schema.unknown-key',
      summary: 'unknown key "egress_alowed"',
      suggestion: 'egress_allowed',
      line: 5,
      col: 7,
      endLine: 5,
      endCol: 20,
    },
  );
  assert.is(d.file, join(root, egress));
  assert.is(r.stderr, '');
});

function withConfig(yaml: string, fn: (dir: string) => void, extra: Record<string, string> = {}): void {
  const dir = mkdtempSync(join(tmpdir(), 'cf-cli-'));
  try {
    writeFileSync(join(dir, 'contextforge.yaml'), yaml);
    for (const [n, t] of Object.entries(extra)) writeFileSync(join(dir, n), t);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ceYaml = `name: clitest
backends:
  ce: { type: ibm_code_engine, region: us-south, project_id: p, api_key: "\${KEY}", per_deployment_limits: { cpu: "1", memory: 4G } }
runtimes:
  - { name: a, catalog: everything, backend: ce, guardrails_profile: restricted }
`;

test('warnings print but exit 0; --strict makes them errors (exit 1); default file is ./contextforge.yaml', () => {
  withConfig(ceYaml, (dir) => {
    const ok = cli(['validate'], dir, { KEY: 'cli-test-api-key' });
    assert.is(ok.code, 0, ok.stderr);
    assert.match(
      ok.stderr,
      /warning\[guardrail\.unenforced\]: read_only_root, [a-z_, ]*max_pids[a-z_, ]* of profile "restricted" are not enforced/,
    );
    assert.match(ok.stdout, /contextforge\.yaml is valid: stack "clitest", 1 runtime/);
    const strict = cli(['validate', '--strict'], dir, { KEY: 'cli-test-api-key' });
    assert.is(strict.code, 1);
    assert.match(strict.stderr, /error\[guardrail\.unenforced\]/);
    const json = cli(['validate', '--json'], dir, { KEY: 'cli-test-api-key' });
    assert.is(json.code, 0);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; diagnostics: { severity: string }[] };
    assert.is(parsed.ok, true);
    assert.ok(parsed.diagnostics.length >= 3 && parsed.diagnostics.every((d) => d.severity === 'warning'));
  });
});

test('secret values never appear in the output, even on the line a diagnostic quotes', () => {
  const secret = 'literal-api-key-do-not-print';
  withConfig(
    `name: redact\nbackends:\n  ce: { type: ibm_code_engine, region: us-southh, project_id: p, api_key: ${secret} }\n`,
    (dir) => {
      const r = cli(['validate'], dir);
      assert.is(r.code, 1);
      assert.match(r.stderr, /invalid value "us-southh" for "region"/);
      assert.not.ok(r.stderr.includes(secret), r.stderr);
      assert.ok(r.stderr.includes('(sensitive)'));
      const j = cli(['validate', '--json'], dir);
      assert.not.ok(j.stdout.includes(secret));
    },
  );
});

test('an unset variable points at the expression; a missing file is one clear error', () => {
  withConfig(ceYaml, (dir) => {
    const r = cli(['validate'], dir, { KEY: '' });
    // KEY is set but empty: ${KEY} has no default, so the empty value is used and api_key fails minLength.
    assert.is(r.code, 1);
  });
  withConfig(ceYaml.replace('${KEY}', '${CF_SURELY_UNSET_KEY}'), (dir) => {
    const r = cli(['validate'], dir);
    assert.is(r.code, 1);
    assert.match(
      r.stderr,
      /error\[interp\.unset-variable\]: variable CF_SURELY_UNSET_KEY is not set\n\s+--> contextforge\.yaml:3:/,
    );
  });
  const missing = cli(['validate', '-f', '/nonexistent/x.yaml']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /error\[config\.unreadable\]: file not found/);
});

test('--help on validate describes the flags and does not validate', () => {
  const r = cli(['validate', '--help'], tmpdir());
  assert.is(r.code, 0);
  for (const flag of ['--file', '--json', '--strict']) assert.ok(r.stdout.includes(flag), flag);
  assert.not.match(r.stderr, /error/);
});

test.run();
