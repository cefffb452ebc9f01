#!/usr/bin/env node
// Precompiles the config schemas (with the discriminator rewrite of src/config/schemas.ts) into
// standalone ajv code, src/generated/validators.ts, so that no command pays ajv's compile time
// at startup. The module carries a hash of the schema files; at runtime a mismatch falls back
// to compiling. `node scripts/gen-validators.mjs --check` exits 1 when the file is stale.
import { register } from 'tsx/esm/api';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

register();
const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const { buildAjv, rawSchema, schemaHash } = await import('../src/config/schemas.ts');
const standaloneCode = (await import('ajv/dist/standalone/index.js')).default.default;

const ajv = buildAjv({ source: true });
const code = standaloneCode(ajv, {
  config: rawSchema('config').$id,
  catalog: rawSchema('catalog').$id,
  profile: rawSchema('profile').$id,
});
const body = code
  .replace(/^"use strict";/, '')
  // The generated code reaches ajv's runtime helpers through require(); give it one.
  .replace(/require\("ajv\/dist\/runtime\/([a-z0-9]+)"\)/g, (_, m) => `require("ajv/dist/runtime/${m}")`);
const out = [
  '/* Generated from schema/ by scripts/gen-validators.mjs. Do not edit by hand: run `npm run gen`. */',
  '// @ts-nocheck',
  "import { createRequire } from 'node:module';",
  'const require = createRequire(import.meta.url);',
  `export const schemaHash = ${JSON.stringify(schemaHash())};`,
  body,
  '',
].join('\n');
const path = join(root, 'src/generated/validators.ts');
const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
if (check) {
  if (current !== out) {
    console.error('src/generated/validators.ts is stale. Run `npm run gen`.');
    process.exit(1);
  }
} else if (current !== out) {
  writeFileSync(path, out);
  console.log('wrote src/generated/validators.ts');
} else {
  console.log('src/generated/validators.ts up to date');
}
