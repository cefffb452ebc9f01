#!/usr/bin/env node
// Generates src/generated/*.ts from schema/*.json with json-schema-to-typescript.
// `node scripts/gen-types.mjs --check` exits 1 (printing the stale files) instead of writing.
import { compile } from 'json-schema-to-typescript';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const targets = [
  { schema: 'schema/contextforge.schema.json', out: 'src/generated/config.ts' },
  { schema: 'schema/plan.schema.json', out: 'src/generated/plan.ts' },
];

const banner = '/* Generated from schema/ by scripts/gen-types.mjs. Do not edit by hand: run `npm run gen`. */';
let stale = [];
for (const t of targets) {
  const schemaPath = join(root, t.schema);
  if (!existsSync(schemaPath)) continue;
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  const ts = await compile(schema, schema.title, {
    bannerComment: banner,
    cwd: join(root, 'schema'),
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: false,
    style: { singleQuote: true, printWidth: 100 },
  });
  const outPath = join(root, t.out);
  const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : '';
  if (current !== ts) {
    stale.push(t.out);
    if (!check) {
      mkdirSync(join(root, 'src/generated'), { recursive: true });
      writeFileSync(outPath, ts);
    }
  }
}
if (check && stale.length) {
  console.error(`Generated types are stale: ${stale.join(', ')}. Run \`npm run gen\`.`);
  process.exit(1);
}
if (!check) console.log(stale.length ? `wrote ${stale.join(', ')}` : 'generated types up to date');
