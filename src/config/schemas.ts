// Loads the JSON Schemas shipped in schema/ and compiles them once per process with ajv.
// The `oneOf` unions with a `type` discriminator (backend, source) are rewritten in memory into
// if/then chains so that ajv reports the errors of the chosen variant, not a dump of every
// variant. The schema files themselves stay the single source of truth and are never modified.
// `npm run gen` precompiles the result into src/generated/validators.ts (used when up to date).
// Built (dist/), that module is loaded from its one-file bundle with the code cache the build
// recorded (dist/vendor/validators-bundle.cjs, src/vendor/code-cache.ts): compiling its 550 kB
// and then its functions on first use was a fifth of a `validate` start-up.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv, ValidateFunction } from 'ajv';
import { loadBundle } from '../vendor/code-cache.js';
import { packagePath } from './package-root.js';

export type SchemaKind = 'config' | 'catalog' | 'profile' | 'plan';

const FILES: Record<SchemaKind, string> = {
  config: 'schema/contextforge.schema.json',
  catalog: 'schema/catalog-entry.schema.json',
  profile: 'schema/guardrail-profile.schema.json',
  plan: 'schema/plan.schema.json',
};

type JsonObject = Record<string, unknown>;
// Texts and parsed schemas apart: a validate whose precompiled validators are current needs
// only the texts (for schemaHash), not the parsed 47 kB config schema.
const texts = new Map<SchemaKind, string>();
const parsed = new Map<SchemaKind, JsonObject>();

function schemaText(kind: SchemaKind): string {
  let text = texts.get(kind);
  if (text === undefined) texts.set(kind, (text = readFileSync(packagePath(FILES[kind]), 'utf8')));
  return text;
}

/** The schema of a kind exactly as shipped (for `contextforge schema`). */
export function rawSchema(kind: SchemaKind): JsonObject {
  let json = parsed.get(kind);
  if (!json) parsed.set(kind, (json = JSON.parse(schemaText(kind)) as JsonObject));
  return json;
}

let hash: string | undefined;

/** sha256 over the three config schemas: ties the precompiled validators to their source. */
export function schemaHash(): string {
  if (hash === undefined) {
    const h = createHash('sha256');
    for (const kind of ['config', 'catalog', 'profile'] as const) h.update(schemaText(kind)).update('\0');
    hash = h.digest('hex');
  }
  return hash;
}

/** Definitions whose oneOf dispatches on the value of `type`. */
const DISCRIMINATED = ['backend', 'source'];

function withDiscriminators(schema: JsonObject): JsonObject {
  const copy = structuredClone(schema);
  const defs = copy.definitions as Record<string, JsonObject>;
  for (const name of DISCRIMINATED) {
    const def = defs[name];
    const variants = def.oneOf as { $ref: string }[] | undefined;
    if (!variants) continue;
    delete def.oneOf;
    def.allOf = variants.map((v) => {
      const target = defs[v.$ref.replace('#/definitions/', '')];
      const tag = (target.properties as Record<string, { const?: string }>).type.const;
      return { if: { properties: { type: { const: tag } }, required: ['type'] }, then: { $ref: v.$ref } };
    });
  }
  return copy;
}

let ajv: Ajv | undefined;
const validators = new Map<SchemaKind, ValidateFunction>();

type Precompiled = { schemaHash?: string } & Partial<Record<SchemaKind, ValidateFunction>>;
let precompiledModule: Precompiled | undefined;

/**
 * The precompiled validators: built, their bundle (dist/vendor/validators-bundle.cjs, made by
 * scripts/build.mjs from src/generated/validators.ts); from src/ (tsx) or without the bundle,
 * the module itself; {} when neither loads (then ajv compiles the schemas).
 */
export function precompiled(): Precompiled {
  if (precompiledModule) return precompiledModule;
  try {
    const bundle = fileURLToPath(new URL('../vendor/validators-bundle.cjs', import.meta.url));
    precompiledModule = loadBundle(bundle).exports as Precompiled;
  } catch {
    try {
      precompiledModule = createRequire(import.meta.url)('../generated/validators.js') as Precompiled;
    } catch {
      precompiledModule = {};
    }
  }
  return precompiledModule;
}

/** An ajv instance holding the three config schemas (source: true when generating code). */
export function buildAjv(options: { source?: boolean } = {}): Ajv {
  // Loaded on demand: with up-to-date precompiled validators, ajv's compiler is never needed.
  const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  const a = new AjvClass({
    allErrors: true,
    verbose: true,
    strict: false,
    allowUnionTypes: true,
    code: { source: options.source === true, esm: true },
  });
  a.addSchema(withDiscriminators(rawSchema('config')));
  a.addSchema(rawSchema('catalog'));
  a.addSchema(rawSchema('profile'));
  return a;
}

function instance(): Ajv {
  ajv ??= buildAjv();
  return ajv;
}

/** The compiled validator of a schema kind (plan excluded: it is validated by its owner). */
export function validator(kind: Exclude<SchemaKind, 'plan'>): ValidateFunction {
  let v = validators.get(kind);
  // Precompiled code (npm run gen) is used when it was generated from these very schemas.
  if (!v && precompiled().schemaHash === schemaHash()) {
    v = precompiled()[kind];
    if (v) validators.set(kind, v);
  }
  if (!v) {
    const id = rawSchema(kind).$id as string;
    v = instance().getSchema(id);
    if (!v) throw new Error(`schema ${id} did not compile`);
    validators.set(kind, v);
  }
  return v;
}

/** A definition of the config schema (for allowed-key lists and descriptions). */
export function definition(name: string): JsonObject | undefined {
  return (rawSchema('config').definitions as Record<string, JsonObject>)[name];
}
