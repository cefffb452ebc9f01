#!/usr/bin/env node
// Records the V8 code cache of the build's bundles (dist/vendor/*.cjs, see src/vendor/code-cache.ts)
// after running what a start-up runs: the config loads of the quick start and of every example
// (YAML parsing, the precompiled validators, their error paths on a config with mistakes), so that
// the functions they compile are in the cache. Run by scripts/build.mjs in a fresh process, without
// NODE_OPTIONS (a cache is only used under the V8 flags it was recorded with).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
const { loadBundle } = await import(dist('vendor/code-cache.js'));
// Loaded first, so that the config loader below runs these very instances.
const bundles = ['yaml-bundle.cjs', 'validators-bundle.cjs'].map((b) => loadBundle(join(root, 'dist/vendor', b)));
const { validateConfig } = await import(dist('plan/validate-config.js'));
const { parseYaml } = await import(dist('config/yaml-source.js'));
const { validator } = await import(dist('config/schemas.js'));

const configs = [
  join(root, 'contextforge.yaml'),
  ...readdirSync(join(root, 'examples'))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(root, 'examples', f)),
];
for (const path of configs) await validateConfig(path, { env: {} });
// Error paths: a config with mistakes (a parse error, schema errors of several kinds).
parseYaml('name: [unclosed\n  - x: "y\n', 'broken.yaml');
validator('config')({ name: 'Bad_Name', backends: { a: { type: 'docker', x: 1 } }, runtimes: [{ name: 1 }] });
for (const b of bundles) b.record();
