// What the CLI loads before it runs a verb, read from the module graph (not from timings): the
// compiled CLI runs under a preload (test/support/load-recorder) that records every resolved ES
// module URL, every CommonJS require and every one-file bundle read. `--version` and `--help` must
// load none of the heavy dependencies, `validate` none but the config layer and the build's
// bundles (the verb's own, yaml, the precompiled validators: never ajv's compiler), and
// `<verb> --help` still says what the verb does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO, requireBuild } from './up-support.js';
import { recordLoads, type Recorded } from '../support/load-recorder.js';

requireBuild();
const work = mkdtempSync(join(tmpdir(), 'cf-startup-'));

function recorded(args: string[], cwd = REPO): Recorded {
  return recordLoads(args, { cwd, work });
}

const HEAVY: Record<string, RegExp> = {
  'the MCP SDK': /node_modules\/@modelcontextprotocol\/sdk\//,
  ajv: /node_modules\/ajv(-formats)?\//,
  dockerode: /node_modules\/(dockerode|docker-modem)\//,
  undici: /node_modules\/undici\//,
  'better-sqlite3': /node_modules\/better-sqlite3\//,
};

function heavyIn(loaded: string[]): string[] {
  return Object.entries(HEAVY)
    .filter(([, re]) => loaded.some((l) => re.test(l)))
    .map(([name]) => name);
}

/** ajv's compiler: the precompiled validators never need it. */
const AJV_COMPILER = /node_modules\/ajv\/(?!dist\/runtime\/)/;

test('the recorder sees a heavy dependency when one is loaded (the check can fail)', () => {
  const r = recorded([
    '--input-type=module',
    '-e',
    "await import('@modelcontextprotocol/sdk/types.js'); await import('better-sqlite3');",
  ]);
  assert.is(r.code, 0);
  assert.equal(heavyIn(r.loaded), ['the MCP SDK', 'better-sqlite3']);
});

test('contextforge --version loads no heavy dependency and no verb', () => {
  const r = recorded([BIN, '--version']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /contextforge\/\d+\.\d+\.\d+/);
  assert.ok(
    r.loaded.some((l) => l.endsWith('/dist/cli/main.js')),
    'the recorder saw the CLI load',
  );
  assert.equal(heavyIn(r.loaded), []);
  const verbs = r.loaded.filter((l) => /\/dist\/cli\/(?!main|verbs?\.js)[^/]+\.js$/.test(l));
  assert.equal(verbs, [], 'no verb module is loaded');
  assert.not.ok(
    r.loaded.some((l) => /node_modules\/yaml\/|\/dist\/vendor\/yaml/.test(l)),
    'not even the YAML parser',
  );
});

test('contextforge --help lists every command from the table and loads no verb', () => {
  const r = recorded([BIN, '--help']);
  assert.is(r.code, 0);
  for (const verb of ['apply', 'plan', 'validate', 'up', 'serve', 'status', 'watch', 'history'])
    assert.match(r.stdout, new RegExp(`\\n  ${verb}\\b`));
  assert.equal(heavyIn(r.loaded), []);
  assert.not.ok(
    r.loaded.some((l) => /\/dist\/(apply|config|gateway|backends|state)\//.test(l)),
    'nothing past the CLI table',
  );
});

test('validate loads the config layer and none of the heavy dependencies', () => {
  const r = recorded([BIN, 'validate'], REPO);
  assert.is(r.code, 0, r.stdout);
  assert.match(r.stdout, 'is valid');
  // The config layer comes inside the build's one-module copy of the verb (scripts/bundle-verb.mjs).
  assert.ok(r.loaded.some((l) => l.endsWith('/dist/cli/validate-bundle.js')));
  assert.equal(heavyIn(r.loaded), []);
  assert.not.ok(
    r.loaded.some((l) => AJV_COMPILER.test(l)),
    'validators stay precompiled: no ajv compiler at run time',
  );
  // The YAML library and the precompiled validators (with ajv's runtime helpers) come from their
  // one-file build-time bundles, not from the package files nor from dist/generated/.
  for (const bundle of ['yaml-bundle.cjs', 'validators-bundle.cjs'])
    assert.ok(
      r.loaded.some((l) => l.endsWith(`/dist/vendor/${bundle}`)),
      `${bundle} is loaded`,
    );
  assert.equal(
    r.loaded.filter((l) => /node_modules\/(yaml|ajv|fast-deep-equal)\/|\/dist\/generated\/validators\.js$/.test(l)),
    [],
    'no file of the yaml or ajv packages, not the unbundled validators',
  );
});

test('<verb> --help says what the verb does, with its options', () => {
  for (const verb of ['plan', 'up', 'history', 'client-config']) {
    const r = recorded([BIN, verb, '--help']);
    assert.is(r.code, 0);
    const summary = {
      plan: 'Show what apply would change',
      up: 'Apply the config, serve it through the gateway',
      history: 'List recorded plan/apply/destroy runs',
      'client-config': 'Print (or --write into its config file) the entry that points an MCP client at the gateway',
    }[verb]!;
    assert.match(r.stdout, summary, `${verb} --help`);
    assert.match(r.stdout, /Options:\n[^]*--help/);
  }
});

test('an unknown command is an error, and the known one after a flag value still runs', () => {
  const bad = spawnSync(process.execPath, [BIN, 'bogus'], { encoding: 'utf8' });
  assert.is(bad.status, 1);
  assert.match(bad.stderr, 'unknown command "bogus"');
  const r = spawnSync(process.execPath, [BIN, '-f', join(REPO, 'contextforge.yaml'), 'validate'], {
    encoding: 'utf8',
    cwd: work,
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'is valid');
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
