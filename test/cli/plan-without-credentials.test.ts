// A pull-request job plans with no cloud credentials: `plan` of a Code Engine stack whose API-key
// variable is unset does not fail and contacts nothing; it compares the runtimes with the last
// apply recorded in the state and says, in every format, that the backend was not observed.
// apply (and every other verb) still needs the key. Against the Code Engine emulator, through
// the CLI, with the production client.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../src/emulators/code-engine/index.js';
import { apiCalls } from '../backends/code-engine/backend-support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built CLI (npm test builds dist/ first). */
const BIN = join(ROOT, 'bin', 'contextforge.js');
const STACK = `nocreds${randomBytes(3).toString('hex')}`;
const KEY = `ce-key-${randomBytes(8).toString('hex')}`;
let emu: CodeEngineEmulator;
const dir = mkdtempSync(join(tmpdir(), 'cf-plan-nocreds-'));
const file = join(dir, 'contextforge.yaml');

function config(greeting: string): string {
  return [
    `name: ${STACK}`,
    'backends:',
    '  ce:',
    '    type: ibm_code_engine',
    '    region: us-south',
    `    project_id: ${emu.projects[0].id}`,
    '    api_key: ${CE_TEST_API_KEY}',
    `    service_url: ${emu.url}`,
    `    iam_url: ${emu.iamUrl}`,
    'catalog:',
    '  - name: Echo',
    '    slug: echo',
    '    supported_backends: [ibm_code_engine]',
    '    source: { type: docker, image: "icr.io/contextforge/echo:1" }',
    '    transport: { type: streamable-http, port: 8080, path: /mcp }',
    'runtimes:',
    '  - name: web',
    '    catalog: echo',
    '    backend: ce',
    '    guardrails_profile: unrestricted',
    `    env: { GREETING: ${greeting} }`,
    '',
  ].join('\n');
}

function cli(args: string[], withKey: boolean): Promise<{ code: number; out: string }> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  if (withKey) env.CE_TEST_API_KEY = KEY;
  else delete env.CE_TEST_API_KEY;
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

test.before(async () => {
  emu = await startCodeEngineEmulator({ timing: { appReadyDelayMs: 100 }, log: () => undefined });
});

test.after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

test('plan without the API key compares with the recorded apply, contacts nothing, and says so; apply needs the key', async () => {
  writeFileSync(file, config('one'));
  const applied = await cli(['apply', '--auto-approve'], true);
  assert.is(applied.code, 0, applied.out);

  // Unchanged config, no key: a no-op plan (exit 0 with --detailed-exitcode), not an error.
  const before = apiCalls(emu);
  const same = await cli(['plan', '--detailed-exitcode'], false);
  assert.is(same.code, 0, same.out);
  assert.match(same.out, 'backend ce has no credentials: CE_TEST_API_KEY is not set');
  assert.match(same.out, 'backend ce was not observed');
  assert.match(same.out, /No changes/);
  assert.is(apiCalls(emu), before, 'the plan sent no request to Code Engine');

  // A config change shows as an update, in text, JSON and markdown.
  writeFileSync(file, config('two'));
  const text = await cli(['plan', '--detailed-exitcode'], false);
  assert.is(text.code, 2, text.out);
  assert.match(text.out, /runtime\.web/);
  assert.match(text.out, /GREETING/);
  const json = await cli(['plan', '--json'], false);
  assert.is(json.code, 0, json.out);
  const plan = JSON.parse(json.out.slice(json.out.indexOf('{'))) as {
    changes: Array<{ address: string; action: string }>;
    diagnostics: Array<{ code: string }>;
  };
  assert.equal(
    plan.changes.filter((c) => c.action !== 'noop').map((c) => [c.address, c.action]),
    [['runtime.web', 'update']],
  );
  assert.ok(
    plan.diagnostics.some((d) => d.code === 'backend.not-observed'),
    json.out,
  );
  const md = await cli(['plan', '--format', 'markdown'], false);
  assert.is(md.code, 0, md.out);
  assert.match(md.out, 'backend ce was not observed');
  assert.is(apiCalls(emu), before, 'no plan sent a request to Code Engine');

  // apply without the key fails before touching anything; the key never appears anywhere.
  const refused = await cli(['apply', '--auto-approve'], false);
  assert.is(refused.code, 1, refused.out);
  assert.match(refused.out, 'variable CE_TEST_API_KEY is not set');
  assert.is(apiCalls(emu), before);
  for (const out of [applied.out, same.out, text.out, json.out, md.out, refused.out]) assert.not.match(out, KEY);
  assert.not.match(readFileSync(file, 'utf8'), KEY);

  // With the key again, the change applies.
  const again = await cli(['apply', '--auto-approve'], true);
  assert.is(again.code, 0, again.out);
  assert.ok(apiCalls(emu) > before);
});

test.run();
