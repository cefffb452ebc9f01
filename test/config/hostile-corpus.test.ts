// The hostile-input corpus (issue 12): every fixture under test/fixtures/config/hostile/ (and
// its dirs/<case>/contextforge.yaml) is loaded in process and must yield exactly the errors
// its `# ERROR:` markers name, at their lines; then it runs through the CLI's own entry, as
// human text and as --json: exit 0/1 only, no stack trace, valid JSON, none of the planted
// secrets (`# SECRET:` values and CF_HOSTILE_TOKEN) in any byte, and bounded CPU and memory.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { outputProblems, runCliInProcess } from './cli-in-process.js';
import { HOSTILE, markersOf, secretsOf, yamlFiles } from './markers.js';

/** Planted in the environment for every case; fixtures use it in secret and non-secret places. */
const TOKEN = 'hostile-ENV-secret-7c41d9e2';
const env = { CF_HOSTILE_TOKEN: TOKEN };

const dirCases = readdirSync(join(HOSTILE, 'dirs'))
  .map((d) => join(HOSTILE, 'dirs', d, 'contextforge.yaml'))
  .filter((f) => existsSync(f));
const fixtures = [...yamlFiles(HOSTILE), ...dirCases];

test('the hostile corpus has at least 150 cases, covering every class', () => {
  assert.ok(fixtures.length >= 150, `only ${fixtures.length} cases`);
  const names = fixtures.map((f) => relative(HOSTILE, f));
  for (const prefix of [
    'num-',
    'bound-',
    'ctl-',
    'host-',
    'proto-',
    'dup-',
    'alias-',
    'nesting-',
    'path-',
    'secret-',
    'term-',
    'yaml-',
    'valid-',
    'dirs/',
  ]) {
    assert.ok(
      names.some((n) => n.startsWith(prefix)),
      `no case of class ${prefix}`,
    );
  }
});

for (const fixture of fixtures) {
  const name = relative(HOSTILE, fixture);
  const markers = markersOf(fixture);
  const secrets = [TOKEN, ...secretsOf(fixture)];
  test(`hostile/${name}`, async () => {
    const r = await loadConfig(fixture, { env: { ...process.env, ...env } });
    const errors = r.diags.filter((d) => d.severity === 'error');
    const got = (): string =>
      r.diags
        .map(
          (d) =>
            `  ${d.severity} ${d.range ? `${relative(HOSTILE, d.range.file)}:${d.range.start.line}` : '-'} ${d.code} ${JSON.stringify(d.summary.slice(0, 160))}`,
        )
        .join('\n');
    if (markers.length === 0) {
      assert.equal(
        errors.map((d) => d.summary),
        [],
        `a case without markers must be valid:\n${got()}`,
      );
      assert.ok(r.value);
    } else {
      assert.is(r.value, undefined, 'an invalid config must not produce a value');
      for (const m of markers) {
        const hit = errors.find(
          (d) => d.summary.includes(m.text) && d.range?.file === m.file && d.range.start.line === m.line,
        );
        if (!hit)
          assert.unreachable(`${relative(HOSTILE, m.file)}:${m.line} expects an error "${m.text}"; got:\n${got()}`);
      }
    }
    for (const json of [false, true]) {
      const run = await runCliInProcess(['validate', '-f', fixture, ...(json ? ['--json'] : [])], env);
      const problems = outputProblems(run, { json, secrets });
      if (run.code !== (markers.length ? 1 : 0)) problems.push(`exit ${run.code}, expected ${markers.length ? 1 : 0}`);
      if (problems.length)
        assert.unreachable(
          `${json ? '--json' : 'text'}: ${problems.join('; ')}\n${(run.stdout + run.stderr).slice(0, 3000)}`,
        );
    }
  });
}

test.run();
