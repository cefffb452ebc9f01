#!/usr/bin/env node
// The package build: compiles src/ to dist/ with tsc, bundles the `yaml` library into one file
// (dist/vendor/yaml-bundle.cjs, loaded by src/vendor/yaml.ts; 72 files cost every start-up) and
// the precompiled validators with ajv's runtime helpers into another (dist/vendor/
// validators-bundle.cjs, loaded by src/config/schemas.ts), records the V8 code cache of both
// after a config load (scripts/record-code-cache.mjs, read by src/vendor/code-cache.ts), bundles
// the validate verb's own modules into dist/cli/validate-bundle.js (scripts/bundle-verb.mjs,
// loaded by src/cli/main.ts), then records the parse results of the YAML files shipped with the
// package in dist/shipped-yaml.json (see src/config/parse-snapshot.ts).
// Used by `npm run build`, npm's `prepare` (so `npm ci` builds) and the test runner.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// Without esbuild (a production install), src/vendor/yaml.ts loads the package as it is and
// src/config/schemas.ts the generated module.
const esbuild = await import('esbuild').catch(() => undefined);
for (const stale of ['yaml-bundle.cjs', 'yaml-bundle.v8cache', 'validators-bundle.cjs', 'validators-bundle.v8cache'])
  rmSync(join(root, 'dist/vendor', stale), { force: true });
rmSync(join(root, 'dist/cli/validate-bundle.js'), { force: true });
if (esbuild) {
  const { createRequire } = await import('node:module');
  await esbuild.build({
    entryPoints: [createRequire(import.meta.url).resolve('yaml')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: join(root, 'dist/vendor/yaml-bundle.cjs'),
    logLevel: 'warning',
  });
  // The generated module reaches ajv's runtime helpers through a require() of its own making
  // (createRequire): as plain require() calls, esbuild puts the helpers into the bundle.
  const generated = readFileSync(join(root, 'src/generated/validators.ts'), 'utf8');
  const contents = generated.replace(
    /^import \{ createRequire \} from 'node:module';\nconst require = createRequire\(import\.meta\.url\);\n/m,
    '',
  );
  if (contents === generated) throw new Error('build: src/generated/validators.ts no longer has the expected header');
  await esbuild.build({
    stdin: { contents, loader: 'ts', resolveDir: join(root, 'src/generated'), sourcefile: 'validators.ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minifyWhitespace: true,
    outfile: join(root, 'dist/vendor/validators-bundle.cjs'),
    logLevel: 'warning',
  });
  // The validate verb as one module (scripts/bundle-verb.mjs says what stays outside it).
  const { bundleValidate } = await import('./bundle-verb.mjs');
  await bundleValidate(esbuild, root);
}

const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
const { parseYaml } = await import(dist('config/yaml-source.js'));
const { textHash, SNAPSHOT_URL, SNAPSHOT_VERSION } = await import(dist('config/parse-snapshot.js'));
const { scanSecretLines } = await import(dist('config/secret-scan.js'));

/** Texts to record: every shipped profile and catalog file, and the compose YAML inlined in entries. */
const texts = [];
for (const dir of ['profiles', 'catalog']) {
  for (const name of readdirSync(join(root, dir)).sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    const text = readFileSync(join(root, dir, name), 'utf8');
    texts.push({ name: `${dir}/${name}`, text });
    if (dir !== 'catalog') continue;
    const parsed = parseYaml(text, name);
    const inline = parsed.value?.source?.compose_file;
    if (typeof inline === 'string' && inline.includes('\n'))
      texts.push({ name: `${dir}/${name}#compose`, text: inline });
  }
}

const files = {};
for (const { name, text } of texts) {
  const parsed = parseYaml(text, name);
  // Only clean parses are recorded: a file with any diagnostic is parsed (and reported) as usual.
  if (parsed.diags.length > 0 || parsed.value === undefined) {
    process.stderr.write(`build: ${name} not snapshotted (${parsed.diags.length} diagnostics)\n`);
    continue;
  }
  const json = JSON.stringify({ value: parsed.value, spans: parsed.spans.entries(), scan: scanSecretLines(text) });
  // The snapshot must give back exactly the parsed value: JSON cannot carry -0, NaN or undefined.
  if (!sameValue(JSON.parse(json).value, parsed.value)) {
    process.stderr.write(`build: ${name} not snapshotted (its value does not survive JSON)\n`);
    continue;
  }
  files[textHash(text)] = json;
}
writeFileSync(SNAPSHOT_URL, JSON.stringify({ version: SNAPSHOT_VERSION, files }));

// The code caches are recorded last, after a config load that uses the snapshot like a user's.
// Without them the bundles compile as usual: slower, never different, so a failure only warns.
if (esbuild) {
  // A fresh process without NODE_OPTIONS: V8 uses a code cache only under the flags it was made with.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const rec = spawnSync(process.execPath, [join(root, 'scripts/record-code-cache.mjs')], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
  if (rec.status !== 0) process.stderr.write('build: no code cache recorded (the bundles compile at start-up)\n');
}

function sameValue(a, b) {
  if (typeof a !== typeof b) return false;
  if (a === null || b === null || typeof a !== 'object') return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue(a[k], b[k]));
}
