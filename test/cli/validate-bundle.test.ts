// The build's one-module copy of the validate verb (scripts/bundle-verb.mjs, dist/cli/validate-
// bundle.js) must change what a start-up costs, never what validate finds: the built CLI's
// validate runs the bundle; no module is both inside it and loaded as a file in the same run (two
// copies of a module split its state: --allow-endpoint would set one copy's allow-list while the
// check read the other's); the operator flags still take effect through it; and it reports
// exactly what the unbundled verb module reports on the example configs and on refused ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, REPO, requireBuild } from './up-support.js';
import { recordLoads } from '../support/load-recorder.js';

requireBuild();
const BUNDLE = join(REPO, 'dist', 'cli', 'validate-bundle.js');
const work = mkdtempSync(join(tmpdir(), 'cf-validate-bundle-'));

/** The dist files the bundle carries inside it (esbuild marks each with a `// dist/...` line). */
function inlined(): string[] {
  return [...readFileSync(BUNDLE, 'utf8').matchAll(/^\/\/ (dist\/\S+\.js)$/gm)].map((m) => m[1]);
}

function recorded(args: string[], cwd = REPO): { code: number | null; out: string; loaded: string[] } {
  const r = recordLoads(args, { cwd, work });
  return { code: r.code, out: r.stdout + r.stderr, loaded: r.loaded };
}

/** A config whose Code Engine endpoints sit on 127.0.0.2: refused unless the operator allows them. */
function endpointConfig(): string {
  const dir = mkdtempSync(join(work, 'endpoint-'));
  const file = join(dir, 'contextforge.yaml');
  writeFileSync(
    file,
    [
      'name: bundle-endpoints',
      'backends:',
      '  ce:',
      '    type: ibm_code_engine',
      '    region: us-south',
      '    project_id: default',
      '    api_key: ${CE_KEY}',
      '    service_url: http://127.0.0.2:9/v2',
      '    iam_url: http://127.0.0.2:9',
      '    per_deployment_limits: { cpu: "0.25", memory: 1G }',
      'catalog:',
      '  - name: Echo',
      '    slug: echo',
      '    source: { type: docker, image: "icr.io/example/echo:1" }',
      '    transport: { type: streamable-http, port: 3001 }',
      'runtimes:',
      '  - name: echo',
      '    catalog: echo',
      '    backend: ce',
      '    guardrails_profile: unrestricted',
      '',
    ].join('\n'),
  );
  return file;
}

test('the build made the bundle, and it carries the config layer', () => {
  const files = inlined();
  assert.ok(files.includes('dist/cli/validate.js'), 'the verb module itself');
  assert.ok(files.includes('dist/config/load.js'), 'the config loader');
  assert.ok(files.length > 20, `${files.length} modules inside`);
});

test('validate runs the bundle, and no module is both inside it and loaded as a file', () => {
  // The flags make main.ts load the modules it imports for them (endpoint policy, path policy).
  const r = recorded([BIN, 'validate', '--allow-endpoint', 'example.com', '--allow-path', work]);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, 'is valid');
  assert.ok(
    r.loaded.some((l) => l.endsWith('/dist/cli/validate-bundle.js')),
    'the bundle is loaded',
  );
  assert.ok(
    r.loaded.some((l) => l.endsWith('/dist/config/endpoint-policy.js')),
    'the flag loaded the endpoint policy as a file',
  );
  const inside = new Set(inlined());
  const twice = r.loaded.filter((l) => [...inside].some((f) => l.endsWith(`/${f}`)));
  assert.equal(twice, [], 'loaded as files although the bundle carries them');
});

test('--allow-endpoint and the environment allow-list take effect through the bundle', () => {
  const file = endpointConfig();
  const env = { ...process.env, CE_KEY: 'k', NO_COLOR: '1' };
  const refused = spawnSync(process.execPath, [BIN, 'validate', '-f', file], { encoding: 'utf8', env });
  assert.is(refused.status, 1, refused.stdout + refused.stderr);
  assert.match(refused.stdout + refused.stderr, 'endpoint.not-allowed');
  const flag = spawnSync(process.execPath, [BIN, 'validate', '-f', file, '--allow-endpoint', '127.0.0.2:9'], {
    encoding: 'utf8',
    env,
  });
  assert.is(flag.status, 0, flag.stdout + flag.stderr);
  assert.not.match(flag.stdout + flag.stderr, 'endpoint.not-allowed');
});

/** `validate --json` of `file` through one copy of the verb (bundle or module), in a fresh process. */
function validateJson(module: string, file: string): { code: number | null; out: string } {
  const script = [
    `const { main } = await import(${JSON.stringify(pathToFileURL(join(REPO, 'dist/cli/main.js')).href)});`,
    `const v = await import(${JSON.stringify(pathToFileURL(module).href)});`,
    `process.exitCode = await v.runValidate({ file: ${JSON.stringify(file)}, json: true });`,
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, CE_KEY: 'k', NO_COLOR: '1' },
  });
  return { code: r.status, out: r.stdout };
}

test('the bundle reports what the verb module reports (examples and refused configs)', () => {
  const configs = [
    join(REPO, 'contextforge.yaml'),
    ...readdirSync(join(REPO, 'examples'))
      .filter((n) => n.endsWith('.yaml'))
      .map((n) => join(REPO, 'examples', n)),
    endpointConfig(),
  ];
  const bad = join(work, 'bad.yaml');
  writeFileSync(bad, 'version: 1\nname: x\nruntimes:\n  - name: a\n    catalog: nope\n    backend: missing\n');
  configs.push(bad);
  let failing = 0;
  for (const file of configs) {
    const bundled = validateJson(BUNDLE, file);
    const plain = validateJson(join(REPO, 'dist/cli/validate.js'), file);
    assert.is(bundled.code, plain.code, `${file}: same exit code`);
    assert.is(bundled.out, plain.out, `${file}: same diagnostics`);
    assert.ok(bundled.out.length > 0, `${file}: printed its diagnostics`);
    if (bundled.code !== 0) failing++;
  }
  assert.ok(failing >= 2, 'refused configs are among them');
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
